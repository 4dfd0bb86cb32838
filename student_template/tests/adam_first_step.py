from otter.test_files import test_case

OK_FORMAT = False

name = "adam_first_step"
points = 5

@test_case(points=None, hidden=False)
def test_adam_first_step(adam_first_step):
    import lab_support
    lab_support.check_answer('adam_first_step', adam_first_step)

