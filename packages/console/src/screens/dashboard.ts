import { platformApi, type Activity, type ActivityPeriod, type Statistics } from '../platform-api.js';
import { lineChart } from '../ui/chart.js';
import { h, replace, section, uniqueId } from '../ui/dom.js';
import { errorState, loadingState } from '../ui/states.js';
import { may, type Screen, type ScreenContext } from './screen.js';

const PERIODS: ReadonlyArray<{ value: ActivityPeriod; label: string }> = [
  { value: '24h', label: 'Last 24 hours' }, { value: '7d', label: 'Last 7 days' }, { value: '30d', label: 'Last 30 days' },
];

function stat(label: string, value: number, detail: string, link?: string): HTMLElement {
  return h('div', { class: 'stat' },
    h('p', { class: 'stat-label' }, link ? h('a', { href: link }, label) : label),
    h('p', { class: 'stat-value' }, value.toLocaleString()),
    h('p', { class: 'hint' }, detail));
}

function counts(stats: Statistics, context: ScreenContext): HTMLElement {
  const lab = context.caller.kind === 'lab_admin';
  return h('div', { class: 'stats', role: 'group', 'aria-label': 'Counts' },
    stat(lab ? 'Members' : 'Users', stats.users.total, `${stats.users.active} active · ${stats.users.blocked} blocked`, context.href('users')),
    stat(lab ? 'Your lab' : 'Labs', stats.labs.total, `${stats.labs.active} active · ${stats.labs.suspended} suspended`, context.href('labs')),
    stat('Active sessions', stats.activeSessions, 'Unexpired browser sessions'));
}

/** Bucket starts as short labels: hours in the person's time, days as UTC dates (the API's days are UTC days). */
function labelsOf(activity: Activity): string[] {
  return activity.buckets.map((b) => {
    const date = new Date(b);
    return activity.bucket === 'hour'
      ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
      : date.toLocaleDateString([], { month: 'short', day: 'numeric', timeZone: 'UTC' });
  });
}

/** The start page: counts for everyone, and for platform admins sign-ins and tokens per client over time. */
export const dashboardScreen: Screen = {
  name: 'dashboard',
  path: '',
  title: 'Dashboard',
  nav: true,
  scopes: [],
  render(root, context) {
    const { caller } = context;
    const api = platformApi(context.api);
    const numbers = h('div', {});
    root.append(
      h('p', { class: 'lead' }, caller.kind === 'platform_admin'
        ? 'You are a platform admin: every lab and user is yours to manage.'
        : `You are the admin of lab ${caller.labId}: you see and manage its members only.`),
      numbers);

    const loadNumbers = async () => {
      replace(numbers, loadingState('Loading counts…'));
      try {
        replace(numbers, counts(await api.statistics.read(), context));
      } catch (error) {
        replace(numbers, errorState(error, () => void loadNumbers()));
      }
    };
    if (may(caller, 'audit:read')) void loadNumbers();

    // Activity is per client, and clients serve every lab: the API gives it to platform admins only.
    if (caller.kind !== 'platform_admin' || !may(caller, 'audit:read')) return;
    const period = (PERIODS.find((p) => p.value === context.query.get('period'))?.value) ?? '7d';
    const charts = h('div', { class: 'charts', 'aria-live': 'polite' });
    const selectId = uniqueId('period');
    const select = h('select', {
      id: selectId,
      onchange: () => {
        context.setQuery({ period: select.value === '7d' ? undefined : select.value });
        void loadCharts(select.value as ActivityPeriod);
      },
    }, ...PERIODS.map((p) => h('option', { value: p.value, selected: p.value === period }, p.label)));

    const loadCharts = async (chosen: ActivityPeriod) => {
      charts.setAttribute('aria-busy', 'true');
      replace(charts, loadingState('Loading activity…'));
      try {
        const activity = await api.statistics.activity(chosen);
        const labels = labelsOf(activity);
        const toSeries = (list: Activity['signIns']) => list.map((s) => ({ name: s.clientId || '(unknown client)', values: s.counts }));
        replace(charts,
          lineChart({ title: 'Sign-ins per client', labels, series: toSeries(activity.signIns), unit: 'sign-ins' }),
          lineChart({ title: 'Access tokens issued per client', labels, series: toSeries(activity.tokensIssued), unit: 'tokens' }));
      } catch (error) {
        replace(charts, errorState(error, () => void loadCharts(chosen)));
      } finally {
        charts.removeAttribute('aria-busy');
      }
    };
    root.append(section('Activity',
      h('div', { class: 'toolbar' }, h('div', { class: 'field-inline' }, h('label', { for: selectId }, 'Period'), select)),
      charts));
    void loadCharts(period);
  },
};
