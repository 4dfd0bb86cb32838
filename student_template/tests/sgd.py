from otter.test_files import test_case

OK_FORMAT = False

name = "sgd"
points = 18

@test_case(points=None, hidden=False)
def test_sgd():
    import lab_support
    lab_support.check('sgd_step')

