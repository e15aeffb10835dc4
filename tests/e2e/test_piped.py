"""Without a terminal the same engine reads plain lines: scripts can drive the menus through a pipe."""

from tests.e2e.helpers import run_app


def test_piped_walk_runs_a_real_step_and_exits_0(project_home):
    result = run_app(project_home, stdin="1\n3\n0\n0\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Create project structure and directories" in result.stdout
    assert (project_home / "data" / "store").is_dir() and "created" in result.stdout
    assert "Bye." in result.stdout and "Traceback" not in result.stdout + result.stderr


def test_piped_bad_input_then_eof_exits_130_without_traceback(project_home):
    result = run_app(project_home, stdin="hello\n42\n2\n")
    assert result.returncode == 130
    assert "is not a menu number" in result.stdout and "42 is not on this menu" in result.stdout
    assert "Interrupted (input closed)" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_piped_wizard_category_writes_env(project_home):
    answers = "1\n4\n4\nDEBUG\n\njson\n7\nfalse\n0\n0\n0\n"
    result = run_app(project_home, stdin=answers)
    assert result.returncode == 0, result.stdout[-2000:]
    env = (project_home / ".env").read_text(encoding="utf-8")
    assert "LOG_LEVEL=DEBUG" in env and "LOG_FORMAT=json" in env and "LOG_RETENTION_DAYS=7" in env
    assert "# OP Trading Platform configuration." in env  # a new .env starts from the documented template


def test_mode_option_opens_that_menu(project_home):
    result = run_app(project_home, "--mode", "production", stdin="0\n0\n")
    assert result.returncode == 0
    assert result.stdout.index("Production") < result.stdout.index("Main menu")


def test_help_is_fast_and_lists_commands(project_home):
    result = run_app(project_home, "--help")
    assert result.returncode == 0 and "--mode" in result.stdout and "--auto" in result.stdout


def test_usage_errors_exit_2(project_home):
    assert run_app(project_home, "--auto").returncode == 2
    assert run_app(project_home, "--mode", "nope").returncode == 2
    assert run_app(project_home, "--mode", "setup", "--auto", "--set", "NOEQUALS").returncode == 2


def test_markup_typed_at_the_menu_is_one_line_and_exit_0(project_home):
    result = run_app(project_home, stdin="[/]\n0\n")
    assert result.returncode == 0, result.stdout + result.stderr
    messages = [line for line in result.stdout.splitlines() if "is not a menu number" in line]
    assert messages == ["'[/]' is not a menu number: type a number from 0 to 3 and press Enter."]
    assert "Traceback" not in result.stdout + result.stderr and not result.stderr


def test_lowercase_default_shows_in_a_piped_prompt(project_home):
    result = run_app(project_home, stdin="1\n4\n5\n\n0\n0\n0\n")  # Setup > wizard > Data source: first question
    assert "(DATA_SOURCE_MODE) [mock]:" in result.stdout, result.stdout[-3000:]


def test_configuration_problems_are_said_once_before_the_menu(project_home):
    (project_home / ".env").write_text("SIMULATOR_FAULTS=nonsense=1\nLOG_LEVEL=INFO\nLOG_LEVEL=DEBUG\n",
                                       encoding="utf-8")
    result = run_app(project_home, stdin="0\n")
    assert result.returncode == 0
    assert result.stdout.count("Configuration problem: SIMULATOR_FAULTS: unknown fault 'nonsense=1'") == 1
    assert "(from .env)" in result.stdout and "Configuration warning: LOG_LEVEL is set 2 times" in result.stdout
