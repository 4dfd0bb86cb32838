from otter.test_files import test_case

OK_FORMAT = False

name = "adamw"
points = 18

@test_case(points=None, hidden=False)
def test_adamw():
    import lab_support
    lab_support.check('adamw_step')

