"""Real web pages nobody here wrote (../shared/data/dates, read in place, never copied into the repository):
publication times to the second with their offset, pages in scripts without spaces, a page's language, and
the facts provenance rests on (ties, headlines, sources, content-farm signs)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import SEEDS, SHARED, CliResult

from samestory.article import Article
from samestory.errors import InputError
from samestory.evaluate.dates import evaluate_dates, half_of
from samestory.pipeline import process
from samestory.read import Reader
from samestory.read.html import extract, markup_error
from samestory.store.sqlite import SQLiteStore
from samestory.stories.provenance import content_farm_flags, headline_of, outlet_of, trace
from samestory.text import word_count, words
from samestory.understand import understand

DATES = SHARED / "data" / "dates"


def _page(page_id: str) -> bytes:
    path = DATES / "pages" / f"{page_id}.html.gz"
    if not path.exists():
        pytest.skip(f"the shared date pages are not in {DATES}")
    return gzip.decompress(path.read_bytes())


def _article(page_id: str) -> Article:
    article = extract(_page(page_id), f"{page_id}:1")
    assert not isinstance(article, InputError), article
    return article


# --- publication time -------------------------------------------------------------------------------------


def test_the_time_of_day_and_offset_of_the_page_are_kept() -> None:
    # elbaladtv.net: article:published_time 2020-12-24T23:59:50+00:00, JSON-LD 2020-12-25T01:59:50+02:00;
    # the gold day is the publisher's: 2020-12-25.
    published = _article("fcbf3a983076").published
    assert published == datetime(2020, 12, 25, 1, 59, 50, tzinfo=UTC) - timedelta(hours=2)
    assert published is not None and published.utcoffset() == timedelta(hours=2)
    assert published.date().isoformat() == "2020-12-25"


def test_a_negative_offset_and_the_local_day() -> None:
    published = _article("3217aac7d218").published  # 2020-09-25T16:02:50-05:00 (Spanish page)
    assert published is not None and published.isoformat() == "2020-09-25T16:02:50-05:00"


@pytest.mark.parametrize(
    ("page_id", "day"),
    [
        ("2c8a9b3d8068", "2018-06-07"),  # datePublished; dateModified 2019-12-01
        ("b2f4392e070e", "2021-02-22"),  # datePublished; dateModified 2022-01-24
        ("98598048ca35", "2020-09-15"),  # htmldate's full-text search takes 2020-05-20 from elsewhere
    ],
)
def test_the_published_date_wins_over_modified_and_other_dates(page_id: str, day: str) -> None:
    published = _article(page_id).published
    assert published is not None and published.date().isoformat() == day


def test_a_date_marked_on_any_element_and_the_related_articles_of_json_ld(tmp_path: Path) -> None:
    # handwerksblatt.de marks the date on a <p itemprop="datePublished" content="2022-01-14 10:31:00">
    assert _article("ea0efaf06e30").published == datetime(2022, 1, 14, 10, 31, tzinfo=UTC)
    related = {"@type": "NewsArticle", "datePublished": "2021-01-01T08:00:00+01:00"}
    ld = {"@type": "NewsArticle", "datePublished": "2022-05-02T09:30:00+02:00", "citation": [related]}
    page = (
        "<html><head><script type='application/ld+json'>"
        + json.dumps([{"@type": "WebSite"}, ld])
        + "</script>"
        "</head><body><article><h1>Budget</h1>"
        + "<p>The council adopted its budget on Monday evening.</p>" * 5
        + "</article></body></html>"
    )
    article = extract(page.encode(), "page.html:1")
    assert isinstance(article, Article) and article.published is not None
    assert article.published.isoformat() == "2022-05-02T09:30:00+02:00"


def test_the_same_instant_with_the_publishers_offset_gives_the_local_day(tmp_path: Path) -> None:
    # whdh.com: JSON-LD and article:published_time 2023-11-09T02:11:03+00:00, the byline's
    # <time itemprop="datePublished"> 2023-11-08T21:11:03-05:00: the Boston day is 2023-11-08
    published = _article("5c66d0586f9a").published
    assert published is not None and published.isoformat() == "2023-11-08T21:11:03-05:00"
    ld = {"@type": "NewsArticle", "datePublished": "2022-05-02T01:30:00Z"}
    body = "<p>The council adopted its budget on Monday evening.</p>" * 5
    page = (
        f"<html><head><script type='application/ld+json'>{json.dumps(ld)}</script></head><body><article>"
        f"<h1>Budget</h1><time itemprop='datePublished' datetime='MARKED'>May 1</time>{body}</article></body></html>"
    )
    for marked, expected in [
        ("2022-05-01T21:30:00-04:00", "2022-05-01T21:30:00-04:00"),  # the same instant: its local day
        ("2022-05-01T20:30:00-04:00", "2022-05-02T01:30:00+00:00"),  # another instant: JSON-LD first
    ]:
        article = extract(page.replace("MARKED", marked).encode(), "page.html:1")
        assert isinstance(article, Article) and article.published is not None
        assert article.published.isoformat() == expected


def test_a_date_by_the_headline_and_a_published_label_beat_the_metadata() -> None:
    # acpjournals.org: <meta name="dc.Date"> 2020-03-03 (its ePublished day); by the headline and after
    # "Issue Published:", 7 April 2020
    published = _article("8a6c71f429c7").published
    assert published is not None and published.date().isoformat() == "2020-04-07"


def test_visible_text_leaves_out_scripts_and_keeps_the_text_after_them() -> None:
    from lxml import html

    from samestory.read._published import _visible_text

    tree = html.fromstring(
        "<html><head><title>t</title></head><body>a<p>b<script>s</script>c<noscript><h1>n</h1></noscript>d"
        "<style>x</style></p>e<h1>f<b>g</b></h1>h<h1></h1></body></html>"
    )
    first, empty = tree.xpath("//body/h1")
    assert _visible_text(tree, first) == (["a", "b", "c", "d", "e", "f", "g", "h"], 5)
    assert _visible_text(tree, empty)[1] is None  # a headline without text
    assert _visible_text(tree, tree.xpath("//noscript/h1")[0])[1] is None  # a hidden one


def test_eval_dates_prints_the_three_tools_from_one_run(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    gold = (
        [json.loads(line) for line in (DATES / "gold.jsonl").read_text().splitlines()]
        if DATES.exists()
        else []
    )
    if not gold:
        pytest.skip(f"the shared date pages are not in {DATES}")
    chosen = [g for g in gold if g["id"] in {"fcbf3a983076", "b48e11066cb2", "3217aac7d218", "ea0efaf06e30"}]
    (tmp_path / "pages").mkdir()
    for record in chosen:  # a small set in a temporary folder, laid out as the shared one
        (tmp_path / "pages" / f"{record['id']}.html.gz").symlink_to(
            DATES / "pages" / f"{record['id']}.html.gz"
        )
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in chosen))
    report = evaluate_dates(tmp_path)
    assert report.pages == 4 and report.rejected == []
    assert report.accuracy("samestory") == 1.0 and report.with_time == 4  # yomiuri gives its time too
    assert set(report.to_dict()["tools"]) == {"samestory", "htmldate", "trafilatura"}
    assert {half_of(g["id"]) for g in gold} == {"dev", "held"}
    out = cli("eval", "dates", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "htmldate" in out.stdout and "trafilatura" in out.stdout and "samestory" in out.stdout


def test_read_on_two_workers_prints_what_one_prints_in_the_same_order(tmp_path: Path) -> None:
    # real pages, one of them an error page without text (e2c47ff30481), read in worker processes
    chosen = ["fcbf3a983076", "e2c47ff30481", "b48e11066cb2", "3217aac7d218", "ea0efaf06e30", "6c81311a890d"]
    for page_id in chosen:
        _page(page_id)  # skips without the shared pages
        (tmp_path / f"{page_id}.html.gz").symlink_to(DATES / "pages" / f"{page_id}.html.gz")
    runs = [
        subprocess.run(
            [sys.executable, "-m", "samestory.cli", "read", "--no-entities", "--workers", workers, str(tmp_path)],
            capture_output=True, text=True, check=False, timeout=600,
        )
        for workers in ("1", "2")
    ]
    one, two = runs
    assert one.returncode == two.returncode == 0, two.stderr
    assert two.stdout == one.stdout and two.stderr == one.stderr
    origins = [json.loads(line)["origin"] for line in two.stdout.splitlines()]
    assert origins == [f"{tmp_path / f'{i}.html.gz'}:1" for i in sorted(chosen) if i != "e2c47ff30481"]
    assert "e2c47ff30481.html.gz:1: no main text found" in two.stderr and "skipped 1 bad record" in two.stderr


# --- pages kept, and their language -------------------------------------------------------------------------


@pytest.mark.parametrize("page_id", ["b48e11066cb2", "bef83102e0ff", "f2e43c8907f7"])  # yomiuri, nhk, upmedia
def test_japanese_and_chinese_pages_are_not_rejected(page_id: str) -> None:
    article = _article(page_id)
    assert len(article.text.split()) < 10 <= word_count(article.text)  # few spaces, hundreds of characters


# nymag.com, andaluciainformacion.es, telegraph.co.uk, a German news page, novinky.cz: a '<' in their
# scripts ("o.label<a[1]") or a stray quote in a tag (class="autor-foto" " itemprop=...) once counted as a
# tag of 2,000-8,700 attributes
@pytest.mark.parametrize(
    ("page_id", "day"),
    [("6c81311a890d", "2020-05-16"), ("58130f5b69e7", "2020-05-06"), ("fa800177c172", "2023-11-02"),
     ("faf6caf665ae", "2019-10-19"), ("daafdbd468b0", "2020-01-30")],
)
def test_pages_with_markup_in_scripts_are_not_refused(page_id: str, day: str) -> None:
    assert markup_error(_page(page_id)) is None
    published = _article(page_id).published
    assert published is not None and published.date().isoformat() == day


def test_word_count_in_scripts_without_spaces() -> None:
    assert word_count("東京都は2日、新たに100人の感染を確認したと発表した。") >= 10
    assert word_count("one two three") == 3


def test_a_short_post_the_precise_extraction_misses_is_read() -> None:
    # security.googleblog.com: trafilatura's precise extraction keeps only "May 19, 2020"
    article = _article("b6ed23abc798")
    assert "Safe Browsing" in article.text and len(article.text.split()) > 100


def test_the_text_language_beats_the_page_attribute() -> None:
    article = _article("3217aac7d218")  # <html lang="en">, a Spanish text
    assert article.meta["page_language"] == "en"
    assert understand(article, entities=False).language == "es"


# --- provenance -------------------------------------------------------------------------------------------


def test_a_tie_in_time_is_decided_by_attribution_not_input_order() -> None:
    real = _article("0206662c0ec2")  # dailyrecord.co.uk; its text names the Daily Record
    assert real.source == "dailyrecord.co.uk" and real.published is not None
    copy = Article(
        id="copy",
        text=real.text,
        title=real.title,
        url="https://copycat.example/allan-bryant",
        source="copycat.example",
        published=real.published,
    )
    for order in ([copy, real], [real, copy]):
        result = trace([process(Article.from_dict(a.to_dict()), entities=False) for a in order])
        assert result.original.source == "dailyrecord.co.uk"
        assert "same time" in result.why and "credit" in result.why


def test_the_see_also_line_of_the_seed_is_an_unrelated_link() -> None:
    paths = sorted(SEEDS.glob("*.txt"))
    if len(paths) != 2:
        pytest.skip(f"the two seed articles are not in {SEEDS}")
    seeds = [process(a, entities=False) for a in Reader().read(paths)]
    story_words = {w for a in seeds for w in words(f"{a.title} {a.text}") if len(w) > 3}
    farm = next(a for a in seeds if any("See also" in r.text for r in a.removed))
    assert "unrelated_links" in content_farm_flags(farm, story_words, None, None)


def test_untitled_articles_get_a_headline_and_a_source(tmp_path: Path) -> None:
    when = datetime(2025, 3, 1, 9, tzinfo=UTC)
    untitled = Article(
        id="a",
        text="Fire crews fought a blaze overnight. More later.",
        url="https://www.news.example/x",
        published=when,
    )
    titled = Article(
        id="b",
        text="Fire crews fought a blaze overnight in Leeds.",
        title="Blaze in Leeds",
        source="wire.example",
        published=when + timedelta(hours=1),
    )
    assert (
        headline_of(untitled) == "Fire crews fought a blaze overnight."
        and outlet_of(untitled) == "news.example"
    )
    with SQLiteStore(tmp_path / "s.db") as store:
        story = store.add(untitled)
        assert store.stories()[0].headline == "Fire crews fought a blaze overnight."  # no title anywhere
        store.add(titled, story_id=story)
        assert store.stories()[0].headline == "Blaze in Leeds"  # another member's title


def test_the_store_orders_by_instant_whatever_the_offsets(tmp_path: Path) -> None:
    # 10:00 in Paris (+02:00) is 08:00 UTC: before 09:00 in London, though "10:00" sorts after "09:00"
    paris = datetime.fromisoformat("2025-06-01T10:00:00+02:00")
    london = datetime.fromisoformat("2025-06-01T09:00:00+00:00")
    with SQLiteStore(tmp_path / "s.db") as store:
        story = store.add(Article(id="london", text="London report.", title="London", published=london))
        store.add(Article(id="paris", text="Paris report.", title="Paris", published=paris), story_id=story)
        assert [s.article.id for s in store.story(story)] == ["paris", "london"]
        assert store.stories()[0].headline == "Paris" and store.story(story)[0].article.published == paris
