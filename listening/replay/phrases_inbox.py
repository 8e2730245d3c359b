"""What customers write under the brands' posts in the replay, and how the brands answer (ko, ja, en).

Written for the demo: fictional, varied in form (questions with 나요/까요, ですか/ますか, "how do I",
complaints, polite requests), so intents are found by the same model and cues as real mentions.
"""

from __future__ import annotations

REPLIES: dict[str, dict[str, list[str]]] = {
    "en": {
        "question": ["How do I move my hub to a new Wi-Fi network?", "Does the app work with two homes on one account?",
                     "Is there a way to export the energy history?", "When will the widget come to Android?",
                     "Can I share access with my parents without giving them my password?",
                     "Does away mode turn off the heating too?"],
        "complaint": ["The app logged me out again and my automations stopped. Really frustrating.",
                      "My sensor has been offline for three days and nobody answers support tickets.",
                      "Third firmware update this month and the door lock is slower every time.",
                      "I was charged twice for the premium plan this month."],
        "request": ["Please add a dark mode to the app.", "Please bring back the old schedule screen, the new one is confusing.",
                    "Could you add an option to mute notifications at night?", "Please refund the second charge on my card."],
        "praise": ["Setup took five minutes, love it!", "The new scenes feature is great, thanks!",
                   "Support fixed my issue in minutes, thank you."],
        "other": ["Saw this on my feed today.", "Interesting timing with the holidays."],
    },
    "ko": {
        "question": ["허브를 새 와이파이로 옮기려면 어떻게 하나요?", "한 계정으로 집 두 곳을 관리할 수 있나요?",
                     "에너지 사용 기록을 내보낼 수 있나요?", "안드로이드 위젯은 언제 나오나요?",
                     "외출 모드에서 난방도 꺼지나요?"],
        "complaint": ["앱이 또 로그아웃돼서 자동화가 다 멈췄어요. 너무 답답하네요.",
                      "센서가 사흘째 오프라인인데 고객센터가 답이 없어요.",
                      "이번 달 프리미엄 요금이 두 번 결제됐어요."],
        "request": ["다크 모드 추가해 주세요.", "예전 일정 화면으로 돌려 주세요. 새 화면은 너무 헷갈려요.",
                    "밤에는 알림을 끌 수 있게 해 주세요.", "중복 결제된 금액 환불해 주세요."],
        "praise": ["설치 5분 만에 끝났어요. 정말 편해요!", "새 장면 기능 최고예요, 감사합니다."],
        "other": ["오늘 피드에서 봤어요.", "연휴 직전이라 타이밍이 묘하네요."],
    },
    "ja": {
        "question": ["ハブを新しいWi-Fiに移すにはどうすればいいですか？", "1つのアカウントで2つの家を管理できますか？",
                     "電力の履歴はエクスポートできますか？", "Android版のウィジェットはいつ対応しますか？",
                     "外出モードで暖房も切れますか？"],
        "complaint": ["またアプリからログアウトされて、オートメーションが全部止まった。本当に困る。",
                      "センサーが3日間オフラインのままで、サポートから返事がない。",
                      "今月プレミアムプランが二重に請求されています。"],
        "request": ["ダークモードを追加してください。", "前のスケジュール画面に戻してほしいです。",
                    "夜は通知をミュートできるようにしてください。", "二重請求分の返金をお願いします。"],
        "praise": ["5分で設定できました。最高です！", "新しいシーン機能、とても便利です。ありがとう！"],
        "other": ["今日タイムラインで見かけました。", "連休前でタイミングが微妙ですね。"],
    },
}

ANSWERS: dict[str, list[str]] = {
    "en": ["Thanks for flagging this! We've sent you a DM with the next steps.",
           "Good question: Settings > Home > Network walks you through it. Let us know if it gets stuck.",
           "Sorry about this. Our team is on it and we'll update you here."],
    "ko": ["알려 주셔서 감사합니다! DM으로 안내드렸어요.", "설정 > 홈 > 네트워크에서 바꾸실 수 있어요. 안 되시면 말씀해 주세요.",
           "불편을 드려 죄송합니다. 담당 팀이 확인 중이며 여기서 다시 안내드릴게요."],
    "ja": ["ご連絡ありがとうございます！DMで手順をお送りしました。", "設定 > ホーム > ネットワークから変更できます。うまくいかない場合はお知らせください。",
           "ご不便をおかけして申し訳ありません。担当チームが確認中です。"],
}

NAMES: dict[str, list[str]] = {
    "en": ["sam", "alex", "jordan", "casey", "riley", "morgan", "taylor", "jamie"],
    "ko": ["minji", "seojun", "jiwoo", "hayoon", "doyun", "seoyeon"],
    "ja": ["yuki", "haruto", "sakura", "ren", "aoi", "sota"],
}

#: Mastodon home instances of the customers (mastodon.social accounts are local to the brands' instance).
INSTANCES = {"en": ["mastodon.social", "fosstodon.org", "hachyderm.io"], "ko": ["mastodon.social", "qdon.space"],
             "ja": ["mstdn.jp", "mastodon.social", "fedibird.com"]}
