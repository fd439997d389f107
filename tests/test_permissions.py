from django.contrib.auth.models import Permission, User

from casebook.cases.listing import listed_cases
from casebook.cases.selectors import Access, overseen_cases, visible_cases
from casebook.cases.sharing import case_share, case_unshare
from casebook.models import CasePattern
from casebook.roles import Role
from tests import factories
from tests.cast import CastTestCase


class VisibleCasesTests(CastTestCase):
    def test_author_can_view_and_change_own_case(self):
        assert list(visible_cases(self.author)) == [self.case]
        assert list(visible_cases(self.author, Access.CHANGE)) == [self.case]

    def test_unshared_case_is_invisible_to_colleagues_outsiders_and_supervisor(self):
        for other in (self.colleague, self.outsider, self.supervisor):
            assert not visible_cases(other).exists(), other.username

    def test_sharing_with_a_person_opens_the_case_and_revoking_closes_it(self):
        case_share(supervisor=self.supervisor, case=self.case, user=self.colleague)
        assert list(visible_cases(self.colleague)) == [self.case]
        assert list(visible_cases(self.colleague, Access.CHANGE)) == [self.case]
        case_unshare(supervisor=self.supervisor, case=self.case, user=self.colleague)
        assert not visible_cases(self.colleague).exists()

    def test_sharing_with_the_team_opens_it_to_caseworkers_but_not_the_supervisor(self):
        case_share(supervisor=self.supervisor, case=self.case, team=self.alpha)
        assert list(visible_cases(self.colleague)) == [self.case]
        assert not visible_cases(self.supervisor).exists()
        assert not visible_cases(self.outsider).exists()

    def test_superuser_gets_no_bypass(self):
        root = User.objects.create_superuser("root-test", password=factories.PASSWORD)
        assert not visible_cases(root).exists()

    def test_global_permission_gets_no_bypass(self):
        for codename in ("view_casepattern", "change_casepattern"):
            self.outsider.user_permissions.add(Permission.objects.get(codename=codename))
        assert not visible_cases(User.objects.get(pk=self.outsider.pk)).exists()

    def test_inactive_author_sees_nothing(self):
        self.author.is_active = False
        self.author.save()
        assert not visible_cases(self.author).exists()

    def test_supervisor_oversees_own_team_cases_only(self):
        other_author = factories.user("cw-beta-author", Role.CASEWORKER, "Test Team Beta")
        factories.case(other_author)
        assert list(overseen_cases(self.supervisor)) == [self.case]

    def test_supervisor_list_includes_team_cases_without_duplicates(self):
        case_share(supervisor=self.supervisor, case=self.case, team=self.alpha)
        listed = list(listed_cases(self.supervisor, include_overseen=True, filters={}))
        assert listed == [self.case]
        assert CasePattern.objects.count() == 1
