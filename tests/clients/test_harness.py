"""The harness itself: mimic is up, and the real az reaches it through `mimic az`."""


def test_az_as_operator_shows_the_fixture_group(mimic):
    shown = mimic.az("group", "show", "-n", mimic.group, "-o", "json")
    assert shown.returncode == 0, shown.stderr
    assert '"name": "%s"' % mimic.group in shown.stdout
