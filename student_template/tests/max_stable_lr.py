from otter.test_files import test_case

OK_FORMAT = False

name = "max_stable_lr"
points = 5

@test_case(points=None, hidden=False)
def test_max_stable_lr(max_stable_lr):
    import lab_support
    lab_support.check_answer('max_stable_lr', max_stable_lr)

