from otter.test_files import test_case

OK_FORMAT = False

name = "adam"
points = 18

@test_case(points=None, hidden=False)
def test_adam():
    import lab_support
    lab_support.check('adam_step')

