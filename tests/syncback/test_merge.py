from quickscale.syncback.merge import merge3


def lines(text):
    return [f"{word}\n" for word in text.split()]


def test_changes_in_different_regions_are_both_kept():
    result = merge3(lines("a b c d e"), lines("a B c d e"), lines("a b c D e"))
    assert (result.conflicts, result.lines) == (0, lines("a B c D e"))


def test_the_same_change_on_both_sides_is_taken_once():
    result = merge3(lines("a b c"), lines("a X c"), lines("a X c"))
    assert (result.conflicts, result.lines) == (0, lines("a X c"))


def test_one_side_unchanged_takes_the_other():
    assert merge3(lines("a b"), lines("a b"), lines("a b z")).lines == lines("a b z")
    assert merge3(lines("a b"), lines("b"), lines("a b")).lines == lines("b")


def test_different_changes_to_the_same_lines_conflict_with_both_versions_shown():
    result = merge3(lines("a b c"), lines("a T c"), lines("a P c"))
    assert result.conflicts == 1
    text = result.text
    assert "<<<<<<< template\nT\n||||||| generated\nb\n=======\nP\n>>>>>>> project\n" in text
    assert text.startswith("a\n") and text.endswith("c\n")
