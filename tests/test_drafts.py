"""Drafts: nothing typed is lost, and a draft is testimony (encrypted, its author's only,
every save and opening in the access log, destroyed when no longer needed)."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from casebook.cases.sharing import case_share, case_unshare
from casebook.jobs.runner import run_due_jobs
from casebook.models import AccessEvent, CaseDraft, CasePattern
from tests import factories
from tests.cast import CastTestCase

CREATE = reverse("casebook:case_create")
TYPED = "FICTIONAL-DRAFT: half an interview, typed for a test."


class DraftTests(CastTestCase):
    def setUp(self):
        factories.sign_in(self.client, self.author)

    def save_new_draft(self):
        data = factories.form_data(narrative=TYPED, save_draft="1", year=None)
        response = self.client.post(CREATE, data)
        draft = CaseDraft.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"{CREATE}?draft={draft.pk}"
        return draft

    def test_save_draft_needs_no_script_and_keeps_only_ciphertext(self):
        cases_before = CasePattern.objects.count()
        draft = self.save_new_draft()
        assert CasePattern.objects.count() == cases_before  # never a case row
        assert b"FICTIONAL-DRAFT" not in bytes(draft.sealed)
        saved = AccessEvent.objects.filter(action="draft.save").get()
        assert saved.target == f"draft:{draft.pk}" and "FICTIONAL" not in str(saved.details)

    def test_the_form_s_script_autosaves_into_one_draft_without_a_message(self):
        page = self.client.get(CREATE).content.decode()
        assert 'src="/static/casebook/autosave.js"' in page and "data-autosave" in page
        data = factories.form_data(narrative=TYPED, save_draft="1")
        first = self.client.post(CREATE, data, headers={"X-Casebook-Autosave": "1"})
        assert first.status_code == 200 and first["Content-Type"] == "application/json"
        draft_id = first.json()["draft"]
        data["narrative"] = TYPED + " More typed a minute later."
        data["draft"] = draft_id
        again = self.client.post(CREATE, data, headers={"X-Casebook-Autosave": "1"})
        assert again.json()["draft"] == draft_id
        assert CaseDraft.objects.count() == 1
        assert AccessEvent.objects.filter(action="draft.save").count() == 2
        assert not list(self.client.get(CREATE).context["messages"])

    def test_a_draft_survives_a_reload_and_a_new_sign_in_and_its_opening_is_logged(self):
        draft = self.save_new_draft()
        self.client.logout()
        factories.sign_in(self.client, self.author)
        page = self.client.get(f"{CREATE}?draft={draft.pk}")
        form = page.context["form"]
        assert form.initial["narrative"] == TYPED and "year" not in form.initial
        assert f'name="draft" value="{draft.pk}"' in page.content.decode()
        assert AccessEvent.objects.filter(action="draft.open", outcome="allowed").count() == 1
        listed = self.client.get(reverse("casebook:case_list")).content.decode()
        assert f"?draft={draft.pk}" in listed

    def test_nobody_else_opens_a_draft_and_the_attempt_is_recorded(self):
        draft = self.save_new_draft()
        for other, status in ((self.colleague, 404), (self.supervisor, 403)):
            factories.sign_in(self.client, other)
            assert self.client.get(f"{CREATE}?draft={draft.pk}").status_code == status
            page = self.client.get(reverse("casebook:case_list")).content.decode()
            assert str(draft.pk) not in page
        assert AccessEvent.objects.filter(action="draft.open", outcome="denied").count() == 1

    def test_recording_the_case_destroys_the_draft(self):
        draft = self.save_new_draft()
        data = factories.form_data(narrative=TYPED, draft=str(draft.pk))
        assert self.client.post(CREATE, data).status_code == 302
        assert not CaseDraft.objects.exists()
        destroyed = AccessEvent.objects.filter(action="draft.destroy").get()
        assert destroyed.target == f"draft:{draft.pk}"

    def test_losing_access_to_the_case_destroys_its_edit_draft(self):
        case_share(supervisor=self.supervisor, case=self.case, user=self.colleague)
        factories.sign_in(self.client, self.colleague)
        edit = reverse("casebook:case_edit", args=[self.case.reference])
        data = factories.form_data(narrative=TYPED, version="1", save_draft="1")
        assert self.client.post(edit, data).status_code == 302
        assert CaseDraft.objects.filter(author=self.colleague, case=self.case).exists()
        case_unshare(supervisor=self.supervisor, case=self.case, user=self.colleague)
        assert not CaseDraft.objects.exists()

    def test_the_case_list_shows_the_author_s_own_drafts_newest_first(self):
        new_case = self.save_new_draft()
        edit = reverse("casebook:case_edit", args=[self.case.reference])
        data = factories.form_data(narrative=TYPED, version="1", save_draft="1")
        assert self.client.post(edit, data).status_code == 302
        edited = CaseDraft.objects.get(case=self.case)
        CaseDraft.objects.filter(pk=new_case.pk).update(
            updated_at=timezone.now() - dt.timedelta(hours=1)
        )
        page = self.client.get(reverse("casebook:case_list")).content.decode()
        drafts = page[page.index('id="drafts-title"') : page.index("</section>")]
        links = [f"{edit}?draft={edited.pk}", f"{CREATE}?draft={new_case.pk}"]
        assert [drafts.index(f'href="{link}"') for link in links] == sorted(
            drafts.index(f'href="{link}"') for link in links
        )
        assert f"Changes to {self.case.reference}" in drafts and "A new case" in drafts
        assert "FICTIONAL-DRAFT" not in page
        factories.sign_in(self.client, self.colleague)
        assert (
            'id="drafts-title"'
            not in self.client.get(reverse("casebook:case_list")).content.decode()
        )

    def test_drafts_are_destroyed_fourteen_days_after_their_last_save(self):
        self.save_new_draft()
        run_due_jobs(timezone.now() + dt.timedelta(days=13))
        assert CaseDraft.objects.count() == 1
        run_due_jobs(timezone.now() + dt.timedelta(days=15))
        assert not CaseDraft.objects.exists()

    def test_saving_over_someone_elses_draft_is_refused_and_recorded(self):
        draft = self.save_new_draft()
        factories.sign_in(self.client, self.colleague)
        data = factories.form_data(narrative="overwrite", save_draft="1", draft=str(draft.pk))
        assert self.client.post(CREATE, data).status_code == 404
        refused = AccessEvent.objects.filter(action="draft.save", outcome="denied").get()
        assert refused.target == f"draft:{draft.pk}" and refused.actor_username == "cw-colleague"
        assert CaseDraft.objects.get().author == self.author
