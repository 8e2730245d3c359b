"""The engagement inbox (docs/inbox.md): conversations, answered detection, SLA, priority, reminders and KPIs.

One module per concept: ``_fetch`` (reading a thread per platform), ``_answered`` (the brand's handles and
its first reply), ``_conversations`` (the step that reads and stores threads), ``_score`` (intents for
replies), ``_sla``, ``_priority``, ``_inbox`` (listing and manual states), ``_reminders`` (Slack) and
``_kpis`` (responsiveness per week and brand).
"""

from listening.inbox._answered import Handles, first_answers
from listening.inbox._conversations import ConversationsReport, ThreadReport, read_conversations, thread_roots
from listening.inbox._fetch import Post, ThreadGone
from listening.inbox._inbox import STATES, InboxItem, assign, items, mark_done, resolve, select, snooze
from listening.inbox._kpis import BrandKpis, kpis_chart_png, kpis_table, weekly_kpis
from listening.inbox._priority import NEEDS_ANSWER, priority
from listening.inbox._reminders import NoticeReport, send_reminders, send_summary, summary_key
from listening.inbox._score import score_items
from listening.inbox._sla import Sla, waiting

__all__ = [
    "NEEDS_ANSWER", "STATES", "BrandKpis", "ConversationsReport", "Handles", "InboxItem", "NoticeReport", "Post",
    "Sla", "ThreadGone", "ThreadReport", "assign", "first_answers", "items", "kpis_chart_png", "kpis_table", "mark_done", "priority",
    "read_conversations", "resolve", "score_items", "select", "send_reminders", "send_summary", "snooze",
    "summary_key", "thread_roots", "waiting", "weekly_kpis",
]
