import { Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { ApiError, api, path } from '../../api/client';
import type { Simulation, SimulationSummary } from '../../api/simulation-types';
import type { CalendarEntry, RulebookVersion } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loading } from '../../components/Loading';
import { useI18n } from '../../i18n/i18n';
import { navigate, useLocation } from '../../router';
import { useApi } from '../../use-api';
import { DraftForm, type DraftState, latestVersion, loadPublished } from './DraftForm';
import { draftText } from './draft';
import { PreviousSimulations } from './PreviousSimulations';
import { SimulationView } from './SimulationView';

const POLL_MS = 500;
const PAGE = '/console/simulations';

/** Polls a simulation while it runs; calls `onSettled` once it is done or failed. */
function useSimulation(id: string | null, onSettled: () => void) {
  const [simulation, setSimulation] = useState<Simulation | null>(null);
  const [error, setError] = useState<unknown>(null);
  const settled = useRef(onSettled);
  settled.current = onSettled;

  useEffect(() => {
    setSimulation(null);
    setError(null);
    if (id === null) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await api<Simulation>(path('/v1/simulations', id), {
          signal: controller.signal,
        });
        setSimulation(next);
        if (next.status === 'running') timer = setTimeout(poll, POLL_MS);
        else settled.current();
      } catch (err) {
        if (!controller.signal.aborted) {
          setError(err instanceof ApiError ? err : new ApiError(0, 'NETWORK', String(err)));
        }
      }
    };
    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [id]);

  return { simulation, error };
}

/** A simulation's own draft and quarters, to show beside its result or to edit again. */
function draftOf(simulation: Simulation): DraftState {
  const { draft, from, to } = simulation.request;
  return { text: draftText(draft), from, to };
}

/** The quarters the calendar has assessed (or will), for the from/to choices. */
function quartersOf(entries: readonly CalendarEntry[]): string[] {
  return [...new Set(entries.map((e) => e.quarter))].sort();
}

/**
 * What if: a draft rulebook replayed over the stored history beside the
 * published one (POST /v1/simulations), polled while it runs, then its cost
 * and level movement; earlier simulations stay listed for comparison.
 */
export function SimulationPage() {
  const { t } = useI18n();
  const { search } = useLocation();
  const id = search.get('id');
  const versions = useApi<{ items: RulebookVersion[] }>('/v1/rulebooks');
  const calendar = useApi<{ items: CalendarEntry[] }>('/v1/assessments');
  const history = useApi<{ items: SimulationSummary[] }>('/v1/simulations?limit=20');
  const { simulation, error } = useSimulation(id, history.reload);
  const [draft, setDraft] = useState<DraftState>({ text: '', from: null, to: null });
  const [loadError, setLoadError] = useState<unknown>(null);
  const latest = latestVersion(versions.data?.items ?? []);
  const quarters = quartersOf(calendar.data?.items ?? []);

  // The draft is seeded only while it is empty, so a run or a poll never overwrites what the
  // operator typed. Opened on a simulation (a reload, a link, the back button), the seed is
  // that simulation's draft, so the form shows the rules the result below was computed from;
  // otherwise it is the latest published version, over the quarters assessed so far.
  const opening = id !== null && error === null;
  useEffect(() => {
    if (draft.text !== '' || !opening || simulation === null) return;
    setDraft((d) => (d.text === '' ? draftOf(simulation) : d));
  }, [opening, simulation, draft.text]);
  useEffect(() => {
    if (latest === null || draft.text !== '' || opening) return;
    loadPublished(latest)
      .then((text) => setDraft((d) => (d.text === '' ? { ...d, text } : d)))
      .catch(setLoadError);
  }, [latest, draft.text, opening]);
  useEffect(() => {
    const entries = calendar.data?.items ?? [];
    if (draft.from !== null || entries.length === 0) return;
    const assessed = quartersOf(entries.filter((e) => e.status === 'done'));
    const range = assessed.length > 0 ? assessed : quartersOf(entries);
    // Checked again in the update: a simulation's own quarters may have been set meanwhile.
    setDraft((d) =>
      d.from !== null ? d : { ...d, from: range[0] ?? null, to: range[range.length - 1] ?? null },
    );
  }, [calendar.data, draft.from]);

  const open = (next: string) => navigate(`${PAGE}?id=${encodeURIComponent(next)}`);

  return (
    <div className="stack">
      <div className="page-header">
        <Typography.Title level={1} className="page-title">
          {t('sim.title')}
        </Typography.Title>
      </div>
      <Typography.Paragraph type="secondary">{t('sim.intro')}</Typography.Paragraph>
      {versions.error !== null && <ErrorNotice error={versions.error} onRetry={versions.reload} />}
      {loadError !== null && <ErrorNotice error={loadError} />}
      <DraftForm
        state={draft}
        onChange={setDraft}
        latest={latest}
        quarters={quarters}
        onStarted={(started) => {
          history.reload();
          open(started.id);
        }}
      />
      {id !== null && error !== null && <ErrorNotice error={error} />}
      {id !== null && simulation === null && error === null && <Loading rows={4} />}
      {simulation !== null && (
        <SimulationView simulation={simulation} onEditDraft={(s) => setDraft(draftOf(s))} />
      )}
      <PreviousSimulations list={history} current={id} onOpen={open} />
    </div>
  );
}
