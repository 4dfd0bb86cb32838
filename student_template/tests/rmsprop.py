from otter.test_files import test_case

OK_FORMAT = False

name = "rmsprop"
points = 18

@test_case(points=None, hidden=False)
def test_rmsprop():
    import lab_support
    lab_support.check('rmsprop_step')

