"""Widget events: the schema of every type and of the batch the widget posts.

A batch is validated whole before anything is written: one bad event rejects the batch,
so the widget never has to guess which half was stored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from server.fields import EventId, Id, PageUrl, PromptId, Route, Site

MAX_BATCH_EVENTS = 100
MAX_BATCH_BYTES = 64 * 1024

Millis = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
# the fields of event types a user or a host can fill with any text, or with a URL: what the
# store redacts (identifiers and choices have patterns that leave no room for it)
FREE_TEXT_FIELDS = frozenset({"question", "section", "target"})
URL_FIELDS = frozenset({"from_url"})
Text = Annotated[str, msgspec.Meta(max_length=2048)]


class Event(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, kw_only=True):
    """What every event carries; each type adds its own fields."""

    id: EventId
    session_id: Id
    visitor_id: Id
    page_url: PageUrl
    ts: Millis
    route: Route | None = None

    def data(self) -> dict[str, Any]:
        common = set(Event.__struct_fields__)
        return {k: getattr(self, k) for k in self.__struct_fields__ if k not in common}


class WidgetOpened(Event, tag="widget_opened", kw_only=True):
    source: Literal["launcher", "api", "prompt", "auto"] = "launcher"


class WidgetClosed(Event, tag="widget_closed", kw_only=True):
    pass


class QuestionAsked(Event, tag="question_asked", kw_only=True):
    question: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    request_id: Id | None = None
    status: Literal["answered", "suggested", "no_answer", "error"]
    source: Literal["page"] | None = None  # "page": one of the page's questions, clicked

    def data(self) -> dict[str, Any]:
        data = super().data()
        if data["source"] is None:  # a question typed: stored as before there were sources
            del data["source"]
        return data


class AnswerShown(Event, tag="answer_shown", kw_only=True):
    request_id: Id
    article_id: Id
    section: Text = ""


class SuggestionShown(Event, tag="suggestion_shown", kw_only=True):
    request_id: Id
    article_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=5)]


class NoAnswerShown(Event, tag="no_answer_shown", kw_only=True):
    request_id: Id


class ArticleOpened(Event, tag="article_opened", kw_only=True):
    article_id: Id
    # "page": from the articles for the page the panel opened with; "form": from the
    # suggestions for what the user typed in a contact form (the widget's or the host's)
    source: Literal["answer", "suggestion", "search", "api", "prompt", "page", "form"]


class Feedback(Event, tag="feedback", kw_only=True):
    request_id: Id | None = None
    article_id: Id | None = None
    helpful: bool


class HandoffStarted(Event, tag="handoff_started", kw_only=True):
    request_id: Id | None = None


class PageChanged(Event, tag="page_changed", kw_only=True):
    from_url: PageUrl | None = None


class PromptEligible(Event, tag="prompt_eligible", kw_only=True):
    """The prompt's trigger fired for a visitor it may be shown to; `group` says if it was."""

    prompt_id: PromptId
    group: Literal["shown", "holdout"]


class PromptShown(Event, tag="prompt_shown", kw_only=True):
    prompt_id: PromptId


class PromptClicked(Event, tag="prompt_clicked", kw_only=True):
    prompt_id: PromptId
    action: Literal["question", "article", "open"]
    target: Text | None = None  # the question asked or the article opened


class PromptDismissed(Event, tag="prompt_dismissed", kw_only=True):
    prompt_id: PromptId


class PageHelpShown(Event, tag="page_help_shown", kw_only=True):
    """The panel opened with help for the page: its articles and the page's questions."""

    article_ids: Annotated[list[Id], msgspec.Meta(max_length=3)]
    questions: Annotated[int, msgspec.Meta(ge=0, le=3)]


Form = Literal["contact", "host"]


class FormSuggestionsShown(Event, tag="form_suggestions_shown", kw_only=True):
    """Answers or articles shown for what the user typed in a contact form: the widget's
    (`contact`) or one of the host's (`host`, `Frontdesk('deflect', …)`)."""

    form: Form
    request_id: Id | None = None
    article_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=3)]
    answered: bool  # the first was a confident answer


class FormSubmitted(Event, tag="form_submitted", kw_only=True):
    """A host's form with suggestions attached was submitted (its own ticket, say)."""

    form: Literal["host"]


AnyEvent = (
    WidgetOpened
    | WidgetClosed
    | QuestionAsked
    | AnswerShown
    | SuggestionShown
    | NoAnswerShown
    | ArticleOpened
    | Feedback
    | HandoffStarted
    | PageChanged
    | PromptEligible
    | PromptShown
    | PromptClicked
    | PromptDismissed
    | PageHelpShown
    | FormSuggestionsShown
    | FormSubmitted
)
EVENT_TYPES = tuple(sorted(str(t.__struct_config__.tag) for t in AnyEvent.__args__))


class EventBatch(msgspec.Struct, forbid_unknown_fields=True):
    """What the widget posts: up to 100 events of one site."""

    site: Site
    events: Annotated[list[AnyEvent], msgspec.Meta(min_length=1, max_length=MAX_BATCH_EVENTS)]


class EventsAccepted(msgspec.Struct):
    accepted: int
    duplicates: int
