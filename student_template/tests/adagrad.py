from otter.test_files import test_case

OK_FORMAT = False

name = "adagrad"
points = 18

@test_case(points=None, hidden=False)
def test_adagrad():
    import lab_support
    lab_support.check('adagrad_step')

