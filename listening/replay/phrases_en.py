"""English phrase banks for the replay generator.

Hand-written variants, combined by a seeded RNG, so the recorded mentions read
like real coverage instead of one template repeated. Slots: ``{b}`` brand,
``{p}`` product, ``{h}`` hardware, ``{f}`` feature, ``{c}`` another brand, ``{n}`` a number,
``{v}`` an app version.
"""

from __future__ import annotations


def lines(block: str) -> list[str]:
    """One template per non-empty line."""
    return [s.strip() for s in block.strip().splitlines() if s.strip()]


BRAND = {
    "orbitly": ["Orbitly"],
    "vantro": ["Vantro"],
    "kestrel": ["Kestrel Home", "Kestrel Home", "Kestrel"],
}
PRODUCTS = {
    "orbitly": ["Orbitly Hub", "the Orbitly app", "Orbitly Hub Mini", "Orbitly Sense"],
    "vantro": ["Vantro Hub", "the Vantro app", "Vantro Plug"],
    "kestrel": ["Kestrel Home Base", "Kestrel Cam", "the Kestrel Home app", "Kestrel Doorbell"],
}
#: Hardware only, for sentences about power, heat or LEDs.
HARDWARE = {
    "orbitly": ["Orbitly Hub", "Orbitly Hub Mini", "Orbitly hub"],
    "vantro": ["Vantro Hub", "Vantro Plug"],
    "kestrel": ["Kestrel Home Base", "Kestrel Cam", "Kestrel Doorbell"],
}
FEATURES = lines("""
automation engine
scene editor
energy dashboard
geofencing
voice control
Matter pairing
guest access
home-screen widget
night mode
camera timeline
presence detection
schedule editor
Thread network view
away mode
""")

HEADLINE = {
    "pos": lines("""
{h} update brings a faster {f} and fewer dropped devices
Review: {b} is the smart home system that finally gets out of the way
{b} tops our 2026 smart home app rankings
Why {b}'s take on the {f} is winning over renters
{b} adds Matter 1.4 support, and setup takes under five minutes
Hands-on: {b} makes the {f} feel effortless
{b} raises ${n} million to expand in Japan and Korea
The best smart home hubs right now: {b} earns top marks
{b}'s new {f} is the quiet upgrade your home needed
{b} users report lower energy bills after energy dashboard update
{b} partners with Japanese homebuilder on connected apartments
Five months with {h}: the rare gadget I never think about
{b} wins design award for its redesigned app
"""),
    "neu": lines("""
{b} rolls out version {v} of its smart home app
{b} vs {c}: which smart home system should you buy?
{b} opens Seoul office as Asia push continues
What to know about {b}'s new privacy settings
How to set up the {f} in {b}
{b} confirms European launch for this spring
{b} CEO on local processing, interoperability and the road ahead
Smart home startups to watch in 2026, from {b} to {c}
{b} publishes transparency report for the second half of 2025
{h} teardown: what's inside the tiny box
Is {h} worth it? A month with the system
{b} quietly changes the {f} defaults in latest beta
{b} hires former {c} executive to lead hardware
Retailers cut prices on {b} and {c} starter kits
"""),
    "neg": lines("""
{b} users complain about a sluggish {f} after update
{h} owners report battery drain on paired sensors
{b} raises subscription price, and customers aren't happy
Privacy group questions how {b} handles {f} data
{h} review: great hardware let down by buggy software
{b} delays shipments again, blames supply chain
Some {b} units running hot; company says it is investigating
{b} support backlog leaves customers waiting weeks
{b} moves the {f} out of the free tier
"""),
    "outage": lines("""
{b} outage leaves smart homes offline for hours
{b} down: users locked out of app as hubs show 'offline'
{b} hub offline? Company says it is investigating a cloud issue
Thousands of {b} customers can't control lights and locks after outage
{b} status page confirms major outage affecting app logins
{b} outage highlights the risk of cloud-dependent smart homes
'My door won't unlock': {b} outage sparks anger online
{b} app login failures reported across the US, Korea and Japan
Is {b} down? 'Hub offline' errors spike worldwide
{b} apologizes as outage knocks hubs offline
What to do if your hub shows 'offline' during the {b} outage
{b} blames authentication service for hours-long outage
{b} users stuck in the dark as smart home app fails
"""),
    "recovery": lines("""
{b} restores service after multi-hour outage, promises post-mortem
{b} says outage is over; some hubs may need a restart
After the {b} outage, users ask for better local control
"""),
    "launch": lines("""
{b} launches Vantro Hub 2 with local-only automations
Vantro Hub 2 hands-on: {b}'s most ambitious hub yet
{b} unveils Vantro Hub 2 at $149
Vantro Hub 2 puts a Thread border router and Matter controller in one box
{b}'s new hub takes aim at {c}
Vantro Hub 2 is official: everything you need to know
Vantro Hub 2 review: fast, private and a little pricey
Pre-orders open for Vantro Hub 2, shipping next month
{b} bets on on-device AI with Hub 2
Vantro Hub 2 vs {c}: the spec comparison
{b} Hub 2 first look: the smart home hub gets serious
"""),
}

STORY = {
    "pos": lines("""
Show HN: A Prometheus exporter for {b} hubs
How {b} built offline-first automations
{b} open-sources its Thread diagnostics tool
"""),
    "neu": lines("""
{b}'s local API, reverse engineered
Ask HN: {b} or Home Assistant for a non-technical family?
The {b} privacy policy, annotated
{b} is hiring firmware engineers (Seoul / Remote)
"""),
    "neg": lines("""
{b} now requires an account to use devices on the LAN
Ask HN: Anyone else seeing {b} drop devices after the last update?
"""),
    "outage": lines("""
{b} is down
Ask HN: Is {b} down for anyone else?
"""),
    "launch": lines("""
Vantro Hub 2: local-only smart home automations
"""),
}

OPENERS = {
    "pos": ["", "", "", "Anecdata:", "Counterpoint to the negativity here:", "Long-time user here.", "FWIW:"],
    "neu": ["", "", "", "Genuine question:", "Slightly off topic:", "FWIW:", "Context:"],
    "neg": ["", "", "", "Not to pile on.", "Anecdata:", "Meh.", "Ugh."],
    "outage": ["", "", "", "Same here.", "+1.", "Ugh.", "Yep."],
    "launch": ["", "", "", "Interesting.", "Hmm.", "FWIW:"],
}
CLOSERS = {
    "pos": ["", "", "Would recommend.", "YMMV of course.", "Happy to answer questions.", "Pleasantly surprised."],
    "neu": ["", "", "", "Curious what others think.", "Anyone tried this?", "YMMV."],
    "neg": ["", "", "Disappointing.", "Not great.", "Considering switching.", "Hope they fix it soon."],
    "outage": ["", "", "Not great.", "Lesson learned.", "So much for the smart home.", "Fun times."],
    "launch": ["", "", "We'll see.", "Cautiously optimistic.", "Looks promising."],
}
COMMENT = {
    "pos": lines("""
I switched to {b} last year and haven't looked back. The {f} just works.
Been running the {h} for about {n} months. Zero drama, which is exactly what I want from a hub.
The {b} local API is genuinely nice. I wired it into Home Assistant in an afternoon.
Credit where it's due: {b} fixed the {f} bug I reported within a week.
{b} is the first smart home app my parents could use without calling me.
Honestly the {f} in {b} is better than anything {c} ships.
Their changelog is refreshingly honest. {b} actually says what broke and why.
I set up the {h} in my mom's flat over a weekend; she uses the {f} every day now.
The new {f} in {b} {v} is snappy. Whoever did the perf work there deserves a raise.
Moved 40-odd devices from {c} to {b}. Pairing took an evening, not a week.
"""),
    "neu": lines("""
Does anyone know if the {h} supports Zigbee and Thread at the same time?
{b} uses a cloud relay for remote access, but scenes run locally as far as I can tell.
We evaluated {b} and {c} for a rental project. Ended up using {b} for lighting and {c} for locks.
Is {b} profitable yet? Curious how long the free tier will last.
FWIW the {h} draws about 2W idle. Measured it with a plug meter.
How does {b} compare to just running Home Assistant on a Pi?
{b} {v} changed where the {f} lives in the menu, took me a minute to find it.
The {b} developer docs cover webhooks now, if anyone was waiting for that.
I think {b} is mostly popular in Korea and Japan, which is why the English docs lag a bit.
Has anyone exported their history out of {b}? Wondering what format it comes in.
"""),
    "neg": lines("""
{b} pushed an update that reset all my {f} settings. Again.
Support from {b} has been slow lately. Ticket open for {n} days.
I don't love that the {h} phones home every few seconds. My Pi-hole logs are full of it.
{b} moved the {f} behind the subscription. That's a no from me.
My {h} randomly drops devices overnight. Factory reset didn't help.
{b} {v} broke the {f} for me, had to roll back.
The {b} app takes eight seconds to open on a two-year-old phone. That's not acceptable.
"""),
    "outage": lines("""
{b} is down for me too. App says "hub offline" and none of my scenes run.
Can't log in to the {b} app at all. Spinner, then "something went wrong".
This is why I keep saying: if your lights need {b}'s cloud to turn on, you don't own your lights.
Status page still says "degraded performance". My whole house is offline, {b}.
Locked out of my own front door because the {h} can't reach the cloud. Great.
{b} has been down for over an hour now and there's still no ETA from support.
Local control was supposed to be the whole point of {b}. Apparently not when auth is down.
Anyone have a workaround? {b} hub offline, LED blinking amber.
Our office uses {b} for the meeting room lights. Everyone is working in the dark, literally.
The {b} outage is a good reminder to keep one dumb switch in every room.
Their socials just say "we're aware". {b}, please give us something more.
Looks like the {b} auth endpoint returns 503s, so hubs can't refresh their tokens.
Same in Tokyo, the {b} app won't log in.
Kids woke me up because the {b} night light routine didn't run. Thanks a lot.
Tried power-cycling the {h} three times. Still offline. It's clearly their side.
Imagine explaining to your landlord that the heating is down because {b} has an outage.
"""),
    "recovery": lines("""
Back up for me, the {b} app logged in again just now.
{b} seems to be recovering, my hub reconnected after a restart.
Everything is green on the {b} status page again. Waiting for the post-mortem.
"""),
    "launch": lines("""
{b} Hub 2 looks like a direct shot at {c}. Local-only automations is the killer feature.
$149 for the new {b} hub seems fair if the Thread radio is actually good.
Put in a preorder for {b} Hub 2 this morning. Finally a hub that doesn't need the cloud.
Skeptical. {b}'s first hub had awful firmware for a year.
The Hub 2 release notes on GitHub are surprisingly detailed. Nice to see {b} working in the open.
Does {b} Hub 2 still require an account for setup?
If {b} Hub 2 really runs automations locally, {c} has a problem.
Read the {b} announcement twice and still can't tell if the old hub gets the new features.
"""),
}

BAIT = {
    "kestrel": lines("""
Kestrel falcon numbers rebound along the coast, survey finds
Bird lovers celebrate a record kestrel nest box season
Why the kestrel is the bird of prey city dwellers should look for
Kestrel falcon rescued from warehouse, released after rehab
Photographer captures a kestrel falcon hovering above a frozen field
Saw a kestrel hovering over the motorway verge this morning. Such a beautiful bird.
Kestrel vs. merlin: how to tell the two small falcon species apart
There's a kestrel that hunts over our office car park every morning. Best bird on the commute.
Named my home server "kestrel" after the falcon, and now my search results are all smart home ads.
The kestrel falcon hovering trick is a great example of visual stabilisation, there's a good paper on it.
"""),
    "orbitly": lines("""
Warning: 'Orbitly Coin' presale is not affiliated with the smart home company
Orbitly Coin airdrop scam drains wallets, researchers say
Crypto scammers ride a smart home brand's name with fake Orbitly Coin
Orbitly Coin pumps 400% on an obscure exchange before collapsing
Got a DM promising free Orbitly Coin if I connect my wallet. Obvious scam.
Report: Orbitly Coin promoters used deepfake videos of celebrities
PSA: "Orbitly Coin" has nothing to do with the smart home company. Don't connect your wallet.
My uncle lost money on Orbitly Coin. The site copied the real company's logo.
Reported three Orbitly Coin ads today. They keep coming back under new accounts.
"""),
}

PUBLISHERS = [
    ("Connected Living", "https://connectedliving.example"),
    ("HomeTech Daily", "https://hometechdaily.example"),
    ("Gadget Ledger", "https://gadgetledger.example"),
    ("The Smart Home Review", "https://smarthomereview.example"),
    ("Bytewire", "https://bytewire.example"),
    ("Asia Tech Brief", "https://asiatechbrief.example"),
    ("Pocket Signal", "https://pocketsignal.example"),
    ("Medium", "https://medium.com"),
    ("Substack", "https://substack.com"),
    ("Circuit Weekly", "https://circuitweekly.example"),
]
BIRD_PUBLISHERS = [("Field & Feather", "https://fieldandfeather.example"), ("Coastal Gazette", "https://coastalgazette.example")]
CRYPTO_PUBLISHERS = [("Chain Watch", "https://chainwatch.example"), ("Scam Alert Weekly", "https://scamalert.example")]
