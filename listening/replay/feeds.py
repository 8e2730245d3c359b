"""Brand-owned recordings: the Orbitly blog, Kestrel's blog, Vantro's press room and
GitHub releases, and the three YouTube channels.

These are low-volume but carry the signals the digest and reach analysis need:
own posts, competitor launches and view counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from listening.replay import corpus as C
from listening.replay import payloads as P

if TYPE_CHECKING:
    from listening.replay.generate import Truth

START = C.ANCHOR - timedelta(days=C.DAYS_BACK)
END = C.ANCHOR + timedelta(days=C.DAYS_AHEAD)

ORBITLY_POSTS = [
    ("en", "neu", "Orbitly {v}: faster scenes and a calmer home screen", "Release notes",
     "Scenes now start up to twice as fast, and the home screen shows only the rooms you use."),
    ("en", "pos", "How we made Orbitly automations keep running when your internet drops", "Engineering",
     "Automations now run on the Orbitly Hub itself. Here is how we moved the rule engine out of the cloud."),
    ("ko", "neu", "오르비틀리 {v} 업데이트 안내", "공지",
     "오르비틀리 앱 {v} 버전이 배포됩니다. 장면 실행 속도가 빨라지고 위젯이 개선되었습니다."),
    ("en", "pos", "Five Orbitly routines for dark winter mornings", "Tips",
     "Wake-up lighting, a warm bathroom and a reminder to take the umbrella: five Orbitly routines our team uses."),
    ("ja", "neu", "オービトリー {v} アップデートのお知らせ", "お知らせ",
     "オービトリーのアプリ {v} を配信しました。シーンの実行が速くなり、ウィジェットを改善しました。"),
    ("en", "pos", "Orbitly now pairs with Matter 1.4 devices", "Product",
     "Orbitly Hub now pairs with Matter 1.4 lights, plugs and sensors in a few taps."),
    ("en", "neu", "Saving energy with the Orbitly energy dashboard", "Tips",
     "The Orbitly energy dashboard shows which devices cost the most and when. A short guide."),
    ("ko", "pos", "오르비틀리 허브 미니 사전 판매 시작", "제품",
     "더 작아진 오르비틀리 허브 미니를 사전 판매합니다. 원룸과 오피스텔에 알맞은 크기입니다."),
    ("en", "neu", "Orbitly's transparency report for the second half of 2025", "Company",
     "How many data requests Orbitly received, how many we answered, and what data we keep."),
    ("en", "pos", "Meet the Orbitly support team in Tokyo", "Company",
     "Our Tokyo team answers Orbitly support tickets in Japanese, Korean and English, seven days a week."),
]
ORBITLY_INCIDENT = [
    (timedelta(minutes=38), "en", "outage", "[Investigating] Orbitly app logins and hub connectivity",
     "Some customers cannot log in to the Orbitly app and see their hub as offline. We are investigating."),
    (timedelta(hours=4, minutes=12), "en", "recovery", "[Resolved] Orbitly app logins and hub connectivity",
     "Logins and hub connections are restored. Hubs that still show offline recover after a restart."),
    (timedelta(hours=5), "ko", "recovery", "오르비틀리 서비스 장애 안내 및 사과 말씀",
     "오르비틀리 앱 접속 장애로 불편을 드려 죄송합니다. 인증 서버 문제로 허브가 오프라인으로 표시되었습니다."),
    (timedelta(hours=5, minutes=20), "ja", "recovery", "オービトリー障害に関するお詫び",
     "オービトリーのアプリにログインできない障害が発生しました。ご迷惑をおかけし申し訳ございません。"),
    (timedelta(hours=30), "en", "recovery", "Post-mortem: the Orbitly authentication outage",
     "What happened when Orbitly logins failed for four hours, why hubs went offline, and what we are changing."),
]
KESTREL_POSTS = [
    ("pos", "Kestrel Home Base firmware {v} is rolling out",
     "Kestrel Home Base firmware {v} improves Wi-Fi roaming and cuts motion alert delays."),
    ("pos", "Introducing package detection on Kestrel Doorbell",
     "Kestrel Doorbell now tells a parcel from a person and alerts you when a delivery arrives."),
    ("neu", "Kestrel Home now speaks Korean and Japanese",
     "The Kestrel Home app is now available in Korean and Japanese, with local support hours."),
    ("neu", "Behind the lens: how the Kestrel Cam handles low light",
     "A look at the sensor and the processing that keep Kestrel Cam footage clear at night."),
    ("neu", "Kestrel Home and Matter: what works today",
     "Which Kestrel Home devices work with Matter controllers today, and what comes next."),
    ("pos", "Five ways to use Kestrel Home away mode",
     "Away mode in Kestrel Home can do more than arm cameras. Five setups from our customers."),
    ("neu", "Our privacy commitments at Kestrel Home",
     "Kestrel Home video stays encrypted end to end. What that means and what we can and cannot see."),
    ("pos", "A first look at the redesigned Kestrel Home app",
     "The new Kestrel Home app puts live view, events and devices one tap away."),
    ("pos", "Customer story: securing a small cafe with Kestrel Home",
     "How a cafe owner in Busan uses Kestrel Cam and Kestrel Doorbell to watch over her shop."),
]
VANTRO_PRESS = [
    ("neu", "ヴァントロ、スマートプラグ「Vantro Plug」に新色を追加"),
    ("neu", "ヴァントロ、家電量販店での取り扱い店舗を拡大"),
    ("pos", "ヴァントロ、シリーズCで30億円の資金調達を実施"),
    ("neu", "ヴァントロ、韓国向けアプリを全面刷新"),
    ("neu", "ヴァントロ、大手通信キャリアとスマートホーム分野で協業"),
    ("neu", "ヴァントロ、サステナビリティレポート2025を公開"),
]
VANTRO_LAUNCH = [
    (-timedelta(days=3), "neu", "ヴァントロ、新製品発表会をオンラインで開催へ"),
    (timedelta(0), "launch", "【新製品】ヴァントロ、次世代スマートホームハブ「Vantro Hub 2」を発表"),
    (timedelta(minutes=10), "launch", "Vantro announces Vantro Hub 2 with local-only automations"),
    (timedelta(days=2), "pos", "Vantro Hub 2、予約開始から48時間で初回生産分が完売"),
]
VIDEO = {
    "en": ["{h} setup in 3 minutes", "What's new in {b} {v}", "{b} tips: getting more out of the {f}",
           "Unboxing the {h}", "{b} customer stories: a smart home for grandma", "Live Q&A with the {b} team"],
    "ko": ["{p} 3분 설치 가이드", "{b} {v} 새 기능 소개", "{b} 꿀팁: {f} 200% 활용하기", "{p} 언박싱"],
    "ja": ["{p}の初期設定を3分で", "{b} {v}の新機能紹介", "{b}活用術：{f}を使いこなす", "{p}開封レビュー"],
}
VIDEO_DESC = {
    "en": "In this video we walk through the {f} in {b}. Questions? Leave a comment below.",
    "ko": "{p}의 {f} 기능을 소개합니다. 궁금한 점은 댓글로 남겨주세요.",
    "ja": "{p}の{f}をご紹介します。ご質問はコメント欄へどうぞ。",
}
VIEWS = {"orbitly": 9000, "vantro": 14000, "kestrel": 6000}


def spaced(w: C.Writer, every_days: float, local_hour: int, tz: int) -> list[datetime]:
    """Publication times about every ``every_days`` at a plausible local office hour."""
    out, at = [], START + timedelta(hours=w.rng.uniform(0, 48))
    while at < END:
        local = at + timedelta(hours=tz)
        day = local.replace(hour=local_hour, minute=w.rng.randrange(60), second=0) - timedelta(hours=tz)
        out.append(day)
        at += timedelta(days=every_days * w.rng.uniform(0.7, 1.3))
    return out


def save(out: Path, rel: str, text: str) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def orbitly_blog(w: C.Writer, truth: "Truth", out: Path) -> int:
    """WordPress-style RSS 2.0 with +0900 dates: product posts plus the outage notices."""
    posts = []
    for i, at in enumerate(spaced(w, 3.2, 10, 9)):
        lang, mood, title, cat, summary = ORBITLY_POSTS[i % len(ORBITLY_POSTS)]
        version = f"{5 + i // 4}.{i % 4}"
        title, summary = title.format(v=version), summary.format(v=version)
        posts.append((at, lang, mood, title, summary, cat))
    for delta, lang, mood, title, summary in ORBITLY_INCIDENT:
        posts.append((C.SURGE_START + delta, lang, mood, title, summary, "Status"))
    items = []
    for n, (at, lang, mood, title, summary, cat) in enumerate(sorted(posts, reverse=True)):
        pid = 4200 - n * 7
        link = f"https://blog.orbitly.example/{pid}/"
        items.append(P.rss_item(title, link, f"https://blog.orbitly.example/?p={pid}", at, 9, "Orbitly Team",
                                [cat], summary, f"<p>{summary}</p>"))
        truth.add("feed", f"https://blog.orbitly.example/?p={pid}", C.Rec("orbitly", lang, mood, at, title))
    head = P.rss_head("Orbitly Blog", "https://blog.orbitly.example", "https://blog.orbitly.example/feed/",
                      "News, tips and release notes from the Orbitly team", "en-US", C.ANCHOR, 9)
    save(out, "feeds/orbitly-blog.xml", head + "".join(items) + "</channel>\n</rss>\n")
    return len(items)


def kestrel_blog(w: C.Writer, truth: "Truth", out: Path) -> int:
    """An Atom blog feed with UTC stamps."""
    entries = []
    for i, at in enumerate(sorted(spaced(w, 3.8, 9, -8), reverse=True)):
        mood, title, body = KESTREL_POSTS[i % len(KESTREL_POSTS)]
        version = f"3.{20 - i}"
        title, body = title.format(v=version), body.format(v=version)
        link = f"https://kestrelhome.example/blog/post-{300 - i}/"
        entries.append(P.atom_entry(link, title, link, at, at, "Kestrel Home", f"<p>{body}</p>", summary=body))
        truth.add("feed", link, C.Rec("kestrel", "en", mood, at, title))
    head = P.atom_head("Kestrel Home Blog", "https://kestrelhome.example/blog/",
                       "https://kestrelhome.example/blog/atom.xml", "https://kestrelhome.example/blog/", C.ANCHOR)
    save(out, "feeds/kestrel-blog.xml", head + "".join(entries) + "</feed>\n")
    return len(entries)


def vantro_press(w: C.Writer, truth: "Truth", out: Path) -> int:
    """PR TIMES-like RSS 1.0 (RDF) with JST ``dc:date``, including the Hub 2 launch."""
    rows = [(at, VANTRO_PRESS[i % len(VANTRO_PRESS)]) for i, at in enumerate(spaced(w, 5.5, 11, 9))]
    rows += [(C.LAUNCH_START + d, (mood, title)) for d, mood, title in VANTRO_LAUNCH]
    items = []
    for n, (at, (mood, title)) in enumerate(sorted(rows, key=lambda r: r[0], reverse=True)):
        link = f"https://prtimes.example/main/html/rd/p/{140 - n:09d}.000081234.html"
        lang = "en" if title.isascii() else "ja"
        desc = ("Vantro Hub 2 combines a Thread border router, a Matter controller and local automations."
                if lang == "en" else f"{title}。詳細は株式会社ヴァントロのプレスリリースをご覧ください。")
        items.append(P.rdf_item(link, title, desc, at, "製品" if mood == "launch" else "企業動向"))
        truth.add("feed", link, C.Rec("vantro", lang, mood, at, title))
    head = P.rdf_head("https://prtimes.example/companyrdf.php?company_id=81234", "株式会社ヴァントロのプレスリリース",
                      "https://prtimes.example/main/html/searchrlp/company_id/81234", "ヴァントロの最新プレスリリース",
                      C.ANCHOR)
    save(out, "feeds/vantro-press.xml", head + "</rdf:Seq>\n</items>\n</channel>\n" + "".join(items) + "</rdf:RDF>\n")
    return len(items)


def vantro_releases(w: C.Writer, truth: "Truth", out: Path) -> int:
    """GitHub releases Atom of vantro/vantro-hub: patch releases, then 2.0.0 on launch day."""
    rows: list[tuple[datetime, str]] = []
    minor = 13
    for i, at in enumerate(t for t in spaced(w, 3.0, 15, 9) if abs(t - C.LAUNCH_START) > timedelta(days=1)):
        if at > C.LAUNCH_START:
            rows.append((at, f"2.0.{len([r for r in rows if r[1].startswith('2.0.')]) + 1}"))
        else:
            rows.append((at, f"1.{minor}.{i}"))
    rows += [(C.LAUNCH_START - timedelta(days=5), "2.0.0-rc.1"), (C.LAUNCH_START - timedelta(minutes=30), "2.0.0")]
    entries = []
    for at, ver in sorted(rows, reverse=True):
        link = f"https://github.com/vantro/vantro-hub/releases/tag/v{ver}"
        notes = ("Vantro Hub 2 support: Thread border router, Matter controller, local-only automations."
                 if ver == "2.0.0" else w.fill("en", "Vantro Hub firmware: fixes for {f} and pairing stability.", "vantro"))
        html = f"<h2>What's Changed</h2>\n<ul>\n<li>{notes}</li>\n</ul>"
        thumb = '<media:thumbnail height="30" width="30" url="https://avatars.githubusercontent.com/u/98765432?s=60&amp;v=4"/>\n'
        entries.append(P.atom_entry(f"tag:github.com,2008:Repository/734219882/v{ver}", f"Vantro Hub v{ver}", link,
                                    None, at, "vantro-release-bot", html, extra=thumb))
        truth.add("feed", link, C.Rec("vantro", "en", "launch" if ver == "2.0.0" else "neu", at, ver))
    head = P.atom_head("Release notes from vantro-hub", "https://github.com/vantro/vantro-hub/releases",
                       "https://github.com/vantro/vantro-hub/releases.atom",
                       "tag:github.com,2008:https://github.com/vantro/vantro-hub/releases", C.ANCHOR)
    save(out, "github/vantro/vantro-hub/releases.atom", head + "".join(entries) + "</feed>\n")
    return len(entries)


def youtube(w: C.Writer, truth: "Truth", out: Path, brand: str) -> int:
    """A channel's full upload history; the server serves the latest 15 like YouTube does."""
    rng, cid, name = w.rng, C.CHANNELS[brand], C.BRAND_NAMES[brand]
    vids = []
    for at in spaced(w, 1.6, 18, 9):
        lang = rng.choice(["en", "en", "ko", "ja"])
        title = w.fill(lang, rng.choice(VIDEO[lang]), brand)
        vids.append((at, lang, "neu", title, w.fill(lang, VIDEO_DESC[lang], brand), VIEWS[brand]))
    if brand == "orbitly":
        vids.append((C.SURGE_END + timedelta(hours=20), "en", "recovery", "A message from the Orbitly team about this week's outage",
                     "Our CEO explains what went wrong with Orbitly logins and what we are changing.", 42000))
    if brand == "vantro":
        vids.append((C.LAUNCH_START, "en", "launch", "Introducing Vantro Hub 2",
                     "Vantro Hub 2: local-only automations, Thread and Matter built in.", 185000))
    entries = []
    for at, lang, mood, title, desc, views in sorted(vids, reverse=True):
        vid = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for _ in range(11))
        v = int(views * rng.lognormvariate(0, 0.5))
        entries.append(P.yt_entry(vid, cid, name, title, desc, at, at + timedelta(hours=rng.uniform(1, 30)),
                                  v, int(v * rng.uniform(0.015, 0.045))))
        truth.add("youtube", vid, C.Rec(brand, lang, mood, at, title))
    save(out, f"youtube/{cid}.xml", P.yt_head(cid, name, datetime(2021, 3, 4, 5, 6, 7, tzinfo=C.ANCHOR.tzinfo))
         + "".join(entries) + "</feed>\n")
    return len(entries)


def write_feeds(w: C.Writer, truth: "Truth", out: Path) -> dict[str, int]:
    """Write all brand-owned feeds; returns item counts per file."""
    counts = {"orbitly-blog": orbitly_blog(w, truth, out), "kestrel-blog": kestrel_blog(w, truth, out),
              "vantro-press": vantro_press(w, truth, out), "vantro-releases": vantro_releases(w, truth, out)}
    for brand in C.BRANDS:
        counts[f"youtube-{brand}"] = youtube(w, truth, out, brand)
    return counts
