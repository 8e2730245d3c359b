"""The shipped topic taxonomy: what brand mentions are about, as example phrases in en, ko and ja.

A text's topic is the one whose nearest example phrase is closest in the encoder's space
(``listening.nlp.topics``), so each topic needs phrases for the ways people actually write
about it in each language: headlines, complaints, questions, short posts. The phrases are
written for no particular brand or product, so the taxonomy serves any brand a config names.
``other`` holds chit-chat that mentions a brand without a subject, so such posts land there
instead of on the nearest real topic. Changing any phrase changes the taxonomy's fingerprint
and with it the scorer's model id: stored scores are then recomputed once.
"""

from __future__ import annotations

OTHER = "other"

TOPIC_PHRASES: dict[str, list[str]] = {
    "product/feature": [
        "the new feature works really well", "they added a dark mode to the app", "the widget is finally useful",
        "battery life is much better than before", "the interface was redesigned", "automation rules are easy to set up",
        "setup took five minutes", "the app feels fast and light", "it now works with other devices", "the app got a useful new option", "you can now split the bill inside the app",
        "새 기능이 정말 편해요", "앱 디자인이 바뀌었네요", "배터리가 오래가요", "설정이 간단해요",
        "다른 기기와 연동이 돼요", "자동화 기능이 생겼어요", "화면 구성이 깔끔해졌어요", "기능이 추가돼서 편해졌어요", "다크모드가 생겨서 좋아요",
        "新機能がとても便利", "アプリのデザインが変わった", "バッテリーの持ちが良くなった", "設定が簡単だった",
        "他の機器と連携できるようになった", "自動化の機能が追加された", "画面が見やすくなった", "機能が追加されて便利になった",
    ],
    "pricing": [
        "the price is too expensive", "they raised the subscription price", "great value for money",
        "the monthly fee went up again", "moving a feature behind a paywall", "there is a discount this week",
        "is the premium plan worth the money", "cheaper than the competition", "the new plan costs more for the same thing", "fees are too high", "surge pricing made the ride cost a fortune",
        "가격이 너무 비싸요", "구독료가 올랐어요", "가성비가 좋아요", "월 요금이 인상됐어요",
        "유료로 바뀌었어요", "할인 행사 중이에요", "가격 인하 소식", "수수료가 너무 비싸요", "배달비가 또 올랐어요",
        "値段が高すぎる", "料金が値上げされた", "コスパがいい", "月額料金が上がった",
        "有料化されて残念", "セールで安くなっている", "値下げが発表された", "手数料が高い",
    ],
    "outage/bugs": [
        "the app keeps crashing", "the service is down", "login is broken after the update",
        "error message when I try to open it", "website not loading", "the server is not responding",
        "devices went offline and nothing works", "the update broke my settings", "it keeps disconnecting at night",
        "the app is slow and freezes", "is it down for everyone", "service restored after the outage", "payments keep failing", "notifications arrive hours late", "sync is broken", "messages arrive twice or not at all", "uploads stop halfway",
        "앱이 계속 멈춰요", "서비스 접속이 안 돼요", "업데이트 후 오류가 나요", "서버 장애가 발생했어요",
        "로그인이 안 돼요", "연결이 자꾸 끊겨요", "먹통이 됐어요", "장애가 복구됐어요", "앱이 너무 느려요", "결제가 계속 실패해요", "알림이 늦게 와요", "동기화가 안 돼요", "업로드가 중간에 멈춰요",
        "アプリが何度も落ちる", "サービスに接続できない", "アップデート後にエラーが出る", "サーバーで障害が発生",
        "ログインできない", "接続がすぐ切れる", "不具合が直らない", "障害から復旧した", "アプリの動作が重い", "決済が通らない", "通知が届かない", "同期がうまくいかない", "アップロードが途中で止まる", "入力が遅れて反応する",
    ],
    "customer support": [
        "customer support never answered", "the support agent was very helpful", "waiting for a refund from support",
        "my ticket has been open for days", "they replied to my email within an hour", "no response from the help desk", "stuck on hold for an hour with the call center", "the chatbot never connects you to a human", "waited on hold for ages", "the agent solved my warranty claim quickly",
        "고객센터가 전화를 안 받아요", "상담원이 친절했어요", "문의했는데 답변이 없어요", "환불 처리가 늦어요",
        "고객 지원이 빨랐어요", "AS 접수했는데 연락이 없어요", "고객센터 연결이 너무 오래 걸려요", "챗봇만 나오고 상담원 연결이 안 돼요", "매장 직원이 친절하게 도와줬어요",
        "カスタマーサポートの対応が悪い", "問い合わせに返事がない", "サポートの返信が早かった",
        "返金の手続きが遅い", "窓口の対応が丁寧だった", "修理の依頼をしたのに連絡がない", "コールセンターにつながらない", "チャットボットばかりで担当者と話せない", "店員さんが丁寧に対応してくれた",
    ],
    "security/privacy": [
        "my account was hacked", "data breach leaked personal information", "privacy concerns about tracking",
        "the device sends data to the cloud all the time", "they changed the privacy policy", "two-factor login added",
        "a security vulnerability was found", "how much data do they collect", "the app shares user data with advertisers", "end-to-end encryption", "asks for too many permissions", "why does the app need access to my microphone",
        "개인정보가 유출됐어요", "계정이 해킹당했어요", "개인정보 처리방침이 바뀌었어요", "데이터 수집이 과도해요",
        "보안 취약점이 발견됐어요", "2단계 인증이 생겼어요", "앱이 권한을 너무 많이 요구해요", "위치 정보를 수집해요", "내 정보가 다른 사람에게 노출됐어요",
        "個人情報が流出した", "アカウントが乗っ取られた", "プライバシーポリシーが改定された", "データ収集が気になる",
        "セキュリティの脆弱性が見つかった", "二段階認証に対応した", "位置情報を勝手に送信している", "不正ログインの被害", "知らない端末からアクセスがあった",
    ],
    "launch/announcement": [
        "they just announced a new model", "the new version is released today", "launch of the new product",
        "pre-orders are open now", "first look at the new device", "it goes on sale next month",
        "a new app version is rolling out", "coming to Europe this spring", "a new service starts next week",
        "신제품이 출시됐어요", "새 버전이 공개됐어요", "사전예약이 시작됐어요", "신형 모델을 발표했어요",
        "다음 달 정식 출시", "새 업데이트 배포", "새 서비스를 시작해요",
        "新製品が発売された", "新しいモデルが発表された", "予約受付が始まった", "新バージョンが公開された",
        "来月発売予定", "新型を発表", "新サービスを開始へ", "アプリの新バージョンを配信中", "アップデートを配信開始",
    ],
    "funding/business": [
        "the startup raised a new funding round", "the company reported strong revenue", "they opened an office abroad",
        "a partnership with a major company", "the company was acquired", "the CEO talks about strategy",
        "expanding into new markets", "is the company profitable", "raises millions in a series B round", "quarterly earnings fell", "to acquire a startup", "signs a distribution deal",
        "투자를 유치했어요", "매출이 늘었어요", "해외 법인을 설립했어요", "대기업과 업무협약을 맺었어요",
        "회사가 인수됐어요", "대표 인터뷰", "시장 진출을 본격화", "영업이익이 감소했어요", "실적 발표",
        "資金を調達した", "売上が伸びた", "海外に拠点を設立", "大手企業と提携した",
        "会社が買収された", "社長インタビュー", "市場に本格参入", "決算で営業利益が減少", "業績発表",
    ],
    "comparison/review": [
        "which one should I buy", "a comparison of the two products", "my honest review after a month",
        "hands-on review of the device", "it is better than the competitor", "I switched from another brand",
        "ranked the best of the year", "pros and cons after long-term use", "I switched and it is so much better", "compared the plans of two carriers",
        "둘 중에 뭘 살까", "두 제품 비교", "한 달 사용 후기", "실사용 리뷰",
        "다른 브랜드에서 갈아탔어요", "올해 최고의 제품으로 선정", "장단점 정리", "뭐가 더 나을까요", "두 요금제를 비교해봤어요", "갈아탔는데 훨씬 좋아요",
        "どっちを買うべきか", "二つの製品を比較", "1か月使ったレビュー", "実際に使った感想",
        "他社から乗り換えた", "ランキングで1位", "メリットとデメリット", "乗り換えて正解だった", "比べてみた結果",
    ],
    "how-to/question": [
        "how do I set this up", "does anyone know if it supports this", "is there a way to export my data",
        "step by step guide to configure it", "can I use it without an account", "where is this setting in the menu", "anyone know how to turn this off", "does it work on my phone",
        "설정하는 방법", "이거 지원되나요?", "데이터 내보내기 어떻게 하나요", "메뉴 어디에 있나요?",
        "계정 없이 쓸 수 있나요", "혹시 아시는 분 계신가요", "만드는 법 아시는 분", "해지하려면 어떻게 해야 하나요", "아이폰에서도 되나요?",
        "設定する方法", "これって対応してる？", "データを書き出す方法は", "どこで設定するの？",
        "アカウントなしで使える？", "誰か知ってる人いますか", "やり方を教えてください", "解約するにはどうすればいい？", "iPhoneでも使える？", "あとから変更することはできますか？",
    ],
    "delivery/shipping": [
        "my package has not arrived", "shipping took two weeks", "the order was delivered damaged",
        "shipments are delayed again", "out of stock everywhere", "the order has been in transit for days", "sold out until next month", "the courier left my package at the wrong address", "tracking says delivered but nothing came",
        "배송이 너무 늦어요", "택배가 아직 안 왔어요", "출고가 지연되고 있어요", "품절이에요", "주문한 지 일주일째 배송 준비 중", "재입고 언제 되나요",
        "配送が遅い", "荷物がまだ届かない", "出荷が遅れている", "品切れで買えない", "注文したのにまだ発送されない", "入荷待ち",
    ],
    "campaign/promotion": [
        "their new ad campaign", "the commercial with the celebrity", "promotion and giveaway event",
        "sponsored post by an influencer", "a limited-time promo code", "a billboard ad downtown", "free months for new users", "the TV commercial song", "a pop-up store with free goods",
        "새 광고 캠페인", "이벤트 경품 행사", "인플루언서 협찬", "한정 프로모션 코드", "캐시백 이벤트", "새 광고 모델", "신규 가입 무료 혜택", "팝업스토어 오픈", "굿즈 증정",
        "新しい広告キャンペーン", "プレゼントキャンペーン", "インフルエンサーとのコラボ", "期間限定のクーポン", "新しいCMの曲", "無料体験キャンペーン", "ポイント還元キャンペーン", "ポップアップストアを開催",
    ],
    "hiring/people": [
        "the company is hiring engineers", "a new executive joins the company", "layoffs at the company", "the CEO stepped down", "job openings for designers", "names a new head of product", "appoints a new CTO",
        "채용 공고가 올라왔어요", "새 임원을 영입했어요", "구조조정 소식", "대표가 사임했어요", "신입 공채 시작", "새 CTO 선임", "경력 채용 공고",
        "エンジニアを募集している", "新しい役員が就任した", "人員削減のニュース", "社長が退任した", "希望退職を募集", "新しいCTOが就任",
    ],
    OTHER: [
        "I love it", "this is terrible", "nice weather today", "what a great movie", "lol same", "good morning everyone", "my cat did something funny", "what should I eat for lunch", "have a nice weekend",
        "정말 좋아요", "정말 최악이에요", "오늘 날씨 좋네요", "ㅋㅋㅋ 그러게요", "점심 뭐 먹지", "좋은 주말 보내세요",
        "最高です", "最悪です", "今日はいい天気", "それな", "お昼なに食べよう", "良い週末を",
    ],
}
