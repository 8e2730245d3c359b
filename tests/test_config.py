"""The listening config: a valid file loads; a bad one fails naming file, field and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from listening.cli import main
from listening.config import load_config
from listening.errors import ConfigError

VALID = """
project: {name: Acme listening, contact: ops@acme.example}
brands:
  - key: acme
    name: Acme
    own: true
    aliases: [Acme, 아크미]
    query: '(acme OR 아크미) NOT "acme anvil"'
    sources:
      feeds: [{url: "https://acme.example/feed.xml", name: Acme blog}]
      google_news: [{query: Acme, locales: [en, ko]}]
      hackernews: [{query: Acme}]
  - key: rival
    name: Rival
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "listening.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_config_loads_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID))
    assert [b.key for b in config.brands] == ["acme", "rival"]
    assert config.own_brand.key == "acme"
    assert config.alerting.bucket_minutes == 5
    assert config.brand("rival").matcher.matches("rival launches a thing")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(VALID.replace("own: true", "own: true\n    colour: red"), "brands[acme].colour: unknown field", id="unknown-field"),
        pytest.param(VALID.replace("'(acme OR 아크미) NOT \"acme anvil\"'", "'(acme OR'"), "brands[acme].query: expected a term", id="bad-query"),
        pytest.param(VALID.replace("locales: [en, ko]", "locales: [en, xx]"), "unknown locale(s) ['xx']", id="bad-locale"),
        pytest.param(VALID.replace("https://acme.example/feed.xml", "ftp://acme.example/feed"), "must be an http(s) URL", id="bad-url"),
        pytest.param(VALID.replace("key: rival", "key: acme"), "brand keys must be unique", id="duplicate-brand"),
        pytest.param("brands: [\n", "not valid YAML at line", id="broken-yaml"),
        pytest.param("just a string", "expected a mapping", id="not-a-mapping"),
        pytest.param(VALID.replace("ops@acme.example", "'${NOT_SET_ANYWHERE}'"), "NOT_SET_ANYWHERE", id="missing-env"),
    ],
)
def test_a_bad_config_names_file_field_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_config_check_reports_problems_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, VALID.replace("name: Rival", "name: Rival\n    sources: {tiktok: []}"))
    assert main(["config", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "brands[rival].sources.tiktok: unknown field" in err
    assert "Traceback" not in err


BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")
) + "brands: [{key: acme, name: Acme}]\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(VALID.replace("aliases: [Acme, 아크미]", "aliases: [Acme, 'Acme \"Pro\"']"),
                     "brands[acme].aliases: alias 'Acme \"Pro\"' contains a double quote", id="alias-with-quote"),
        pytest.param(VALID.replace("aliases: [Acme, 아크미]", "aliases: [Acme, '  ']"),
                     "brands[acme].aliases: alias '  ' has no words to match", id="blank-alias"),
        pytest.param(VALID.replace("name: Rival", "name: 'Rival \"X\"'"),
                     "brands[rival]: name 'Rival \"X\"' contains a double quote", id="name-with-quote-as-alias"),
        pytest.param(VALID.replace("name: Rival", "name: Rival\n    exclude: ['']"),
                     "brands[rival].exclude: exclude term '' has no words to match", id="blank-exclude"),
        pytest.param(VALID.replace("contact: ops@acme.example", 'contact: "ops@acme.example\\r\\nX-Injected: 1"'),
                     "project.contact: contains '\\r'; it is sent in every request's User-Agent header", id="contact-crlf"),
        pytest.param(VALID.replace("contact: ops@acme.example", "contact: José <ops@acme.example>"),
                     "project.contact: contains 'é'", id="contact-non-ascii"),
        pytest.param(BILLION_LAUGHS, "i: expands to more than 100,000 values through YAML anchors", id="alias-bomb"),
        pytest.param("brands: &b [*b]\n", "brands: nested more than 32 levels deep", id="self-referencing-anchor"),
        pytest.param("brands: " + "[" * 1_500 + "]" * 1_500 + "\n", "nested too deeply to read", id="deep-nesting"),
        pytest.param(VALID.replace("contact: ops@acme.example", "contact: ops@acme.example, timezone: Seoul"),
                     "project.timezone: 'Seoul' is not an IANA time zone; use a name like Asia/Seoul", id="timezone-not-iana"),
        pytest.param(VALID.replace("hackernews: [{query: Acme}]", "accounts: [{platform: twitter, handle: acme}]"),
                     "brands[acme].sources.accounts[0].platform: unknown platform 'twitter'; accounts are followed on "
                     "mastodon and bluesky", id="unknown-account-platform"),
        pytest.param(VALID.replace("hackernews: [{query: Acme}]", "accounts: [{platform: mastodon, handle: acme}]"),
                     "brands[acme].sources.accounts[0]: a mastodon account needs its instance", id="mastodon-without-instance"),
    ],
)
@pytest.mark.timeout(60)
def test_config_check_rejects_what_would_fail_every_fetch(tmp_path: Path, text: str, expected: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, text)
    assert main(["config", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"listening config: error: {path}: " in err
    assert expected in err


def test_the_rejected_alias_is_one_that_breaks_matching() -> None:
    from listening.matching import QuerySyntaxError, parse_query

    with pytest.raises(QuerySyntaxError, match="empty term"):
        parse_query('"Acme" OR "Acme "Pro""')


def test_anchors_within_reason_still_load(tmp_path: Path) -> None:
    text = ("brands:\n  - {key: acme, name: Acme, sources: {feeds: &feeds [{url: 'https://news.example/rss'}]}}\n"
            "  - {key: rival, name: Rival, sources: {feeds: *feeds}}\n")
    config = load_config(write(tmp_path, text))
    assert [b.sources.feeds[0].url for b in config.brands] == ["https://news.example/rss"] * 2


def test_config_check_accepts_a_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(write(tmp_path, VALID))]) == 0
    assert "OK — 2 brands" in capsys.readouterr().out


def test_environment_variables_fill_in_secrets_and_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_HOST", "http://127.0.0.1:9999")
    config = load_config(write(tmp_path, VALID.replace("https://acme.example", "${FEED_HOST}")))
    assert config.brands[0].sources.feeds[0].url == "http://127.0.0.1:9999/feed.xml"


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.yaml: file not found"):
        load_config(tmp_path / "nope.yaml")


def test_the_readme_config_example_is_valid(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Configuration", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    config = load_config(write(tmp_path, example))
    assert config.own_brand.key == "acme"
    assert config.own_brand.sources.appstore[0].countries == ["jp", "kr", "us"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(VALID.replace("own: true", "own: false"), ["brands: no brand has `own: true`"], id="no-own-brand"),
        pytest.param("languages: [en, kr, tlh]\n" + VALID,
                     ["languages: 'kr' is not a language the sentiment model knows (did you mean 'ko'?)",
                      "languages: 'tlh' is not a language the sentiment model knows; known: ar, de, en"], id="unknown-languages"),
    ],
)
def test_config_check_warns_but_passes(tmp_path: Path, text: str, expected: list[str],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, text)
    assert main(["config", "check", str(path)]) == 0
    out, err = capsys.readouterr()
    warnings = [line for line in err.splitlines() if line.startswith(f"{path}: warning: ")]
    assert len(warnings) == len(expected) == err.count("\n")
    assert all(want in line for want, line in zip(expected, warnings))
    assert f"OK — 2 brands (acme, rival), 4 source tasks, {len(expected)} warning(s)" in out


def test_a_good_config_has_no_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(write(tmp_path, "languages: [en, ko, ja, es]\n" + VALID))]) == 0
    assert capsys.readouterr().err == ""


def test_the_demo_config_checks_with_a_note_on_replay_url(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    demo = Path(__file__).parents[1] / "listening" / "replay" / "demo.yaml"
    monkeypatch.delenv("REPLAY_URL", raising=False)
    assert main(["config", "check", str(demo)]) == 0
    out, err = capsys.readouterr()
    assert "OK — 3 brands" in out and "warning" not in err
    assert err.count("\n") == 1 and f"{demo}: note: ${{REPLAY_URL}} is not set; checked as http://127.0.0.1:" in err
    assert "`listening demo` and `listening fetch` without --config set it" in err
    monkeypatch.setenv("REPLAY_URL", "http://127.0.0.1:9")
    assert main(["config", "check", str(demo)]) == 0
    assert capsys.readouterr().err == ""


def test_another_unset_variable_still_fails_the_demo_style_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("REPLAY_URL", raising=False)
    text = VALID.replace("https://acme.example/feed.xml", "${REPLAY_URL}/feed?token=${ACME_FEED_TOKEN}")
    assert main(["config", "check", str(write(tmp_path, text))]) == 2
    assert "environment variable(s) ['ACME_FEED_TOKEN'] are referenced but not set" in capsys.readouterr().err


def test_fetch_accepts_only_known_source_kinds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fetch", "--config", str(write(tmp_path, VALID)), "--source", "rss", "--source", "bogus", "-q"]) == 2
    err = capsys.readouterr().err
    assert err == ("listening fetch: error: --source: unknown kind(s) bogus; known: rss, google_news, hackernews, "
                   "youtube, mastodon, bluesky, gdelt, appstore, hatena, naver, reddit\n")
