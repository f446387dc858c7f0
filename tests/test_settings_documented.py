"""Every setting is documented in the README (a setting cannot exist without its help text there)."""

from pathlib import Path

from data_access.settings import ALL_SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_settings_table() -> None:
    for setting in ALL_SETTINGS:
        assert f"| `{setting.name}` |" in README, (
            f"{setting.name} is missing from the README's settings table"
        )
        assert setting.help, f"{setting.name} has no help text"


def test_readme_gives_the_two_commands_first() -> None:
    commands = README.index("## The two commands")
    assert "make run" in README[commands : commands + 600]
    assert "make test" in README[commands : commands + 600]


def test_every_page_file_is_named_by_its_url() -> None:
    """Streamlit names a page after its file on a fresh server's first request: file and URL must agree."""
    from dashboard.registry import PAGES

    root = Path(__file__).resolve().parent.parent
    for page in PAGES:
        assert page.path == f"pages/{page.url_path}.py", page
        assert (root / page.path).is_file(), page.path
