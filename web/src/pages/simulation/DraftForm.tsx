import { ExperimentOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Col, Form, Input, Row, Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { ApiError, api, path } from '../../api/client';
import type { Simulation } from '../../api/simulation-types';
import type { RulebookDocument, RulebookVersion } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useI18n } from '../../i18n/i18n';
import {
  draftText,
  effectiveFromOf,
  SERVICE,
  thresholdsOf,
  withEffectiveFrom,
  withThreshold,
} from './draft';

// A fieldset groups the five fields for screen readers; it keeps the card's own look.
const PLAIN_FIELDSET = { border: 0, padding: 0, margin: 0, minWidth: 0 } as const;
const PLAIN_LEGEND = { border: 0, fontSize: 'inherit', marginBottom: 8 } as const;

/** What the form edits; the page keeps it, so that an earlier simulation's draft can be loaded. */
export interface DraftState {
  readonly text: string;
  readonly from: string | null;
  readonly to: string | null;
}

/** The latest published version of the rulebook the store runs. */
export function latestVersion(versions: readonly RulebookVersion[]): RulebookVersion | null {
  return versions.reduce<RulebookVersion | null>(
    (best, v) => (best === null || v.version > best.version ? v : best),
    null,
  );
}

export async function loadPublished(version: RulebookVersion): Promise<string> {
  const doc = await api<RulebookDocument>(
    path('/v1/rulebooks', version.id, 'versions', String(version.version)),
  );
  return draftText(doc.document);
}

/**
 * A draft to simulate: the JSON of a rulebook (from the latest published
 * version), the five 3+N thresholds as quick fields over it, and the
 * quarters to replay. Starting asks the server, which checks it all at once.
 */
export function DraftForm({
  state,
  onChange,
  latest,
  quarters,
  onStarted,
}: {
  readonly state: DraftState;
  readonly onChange: (next: DraftState) => void;
  readonly latest: RulebookVersion | null;
  readonly quarters: readonly string[];
  readonly onStarted: (simulation: Simulation) => void;
}) {
  const { t } = useI18n();
  const [busy, setBusy] = useState<'load' | 'run' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const thresholds = thresholdsOf(state.text);
  const options = quarters.map((q) => ({ value: q, label: q }));

  const reset = async () => {
    if (latest === null) return;
    setBusy('load');
    setError(null);
    try {
      onChange({ ...state, text: await loadPublished(latest) });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const run = async () => {
    setError(null);
    let draft: unknown;
    try {
      draft = JSON.parse(state.text);
    } catch (err) {
      setError(new ApiError(400, 'INVALID_JSON', (err as Error).message));
      return;
    }
    setBusy('run');
    try {
      const started = await api<Simulation>('/v1/simulations', {
        method: 'POST',
        body: { draft, from: state.from, to: state.to },
      });
      onStarted(started);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Card title={<h2 className="card-title">{t('sim.draftTitle')}</h2>}>
      <Typography.Paragraph type="secondary">{t('sim.draftIntro')}</Typography.Paragraph>
      <Space wrap className="gap-below">
        <Button
          icon={<ReloadOutlined />}
          onClick={reset}
          loading={busy === 'load'}
          disabled={latest === null}
        >
          {latest === null ? t('rules.noBase') : t('sim.fromPublished', { key: latest.key })}
        </Button>
      </Space>
      <Form layout="vertical">
        <fieldset className="gap-below" style={PLAIN_FIELDSET}>
          <legend style={PLAIN_LEGEND}>
            <strong>{t('sim.thresholds', { service: SERVICE })}</strong>
          </legend>
          {thresholds === null ? (
            <Typography.Text type="secondary">{t('sim.noThresholds')}</Typography.Text>
          ) : (
            <Row gutter={12}>
              {thresholds.map((level, index) => (
                <Col xs={12} sm={8} md={4} key={level.level}>
                  <Form.Item label={t('sim.threshold', { level: level.level })}>
                    <Input
                      inputMode="decimal"
                      prefix="$"
                      value={level.fromUsd}
                      aria-label={t('sim.threshold', { level: level.level })}
                      onChange={(event) =>
                        onChange({
                          ...state,
                          text: withThreshold(state.text, index, event.target.value.trim()),
                        })
                      }
                    />
                  </Form.Item>
                </Col>
              ))}
            </Row>
          )}
          <Row>
            <Col xs={24} md={12}>
              <Form.Item
                label={t('sim.effectiveFrom')}
                htmlFor="sim-effective"
                extra={t('sim.effectiveFromHelp')}
              >
                <Input
                  id="sim-effective"
                  value={effectiveFromOf(state.text) ?? ''}
                  disabled={thresholds === null}
                  onChange={(event) =>
                    onChange({
                      ...state,
                      text: withEffectiveFrom(state.text, event.target.value.trim()),
                    })
                  }
                />
              </Form.Item>
            </Col>
          </Row>
        </fieldset>
        <Form.Item label={t('sim.editor')} htmlFor="sim-draft" extra={t('rules.editorHelp')}>
          <Input.TextArea
            id="sim-draft"
            className="json-editor"
            value={state.text}
            onChange={(event) => onChange({ ...state, text: event.target.value })}
            autoSize={{ minRows: 6, maxRows: 18 }}
            spellCheck={false}
          />
        </Form.Item>
        <Space wrap align="end">
          <Form.Item label={t('sim.from')} htmlFor="sim-from">
            <Select
              id="sim-from"
              className="version-select"
              value={state.from}
              options={options}
              onChange={(from: string) => onChange({ ...state, from })}
            />
          </Form.Item>
          <Form.Item label={t('sim.to')} htmlFor="sim-to">
            <Select
              id="sim-to"
              className="version-select"
              value={state.to}
              options={options}
              onChange={(to: string) => onChange({ ...state, to })}
            />
          </Form.Item>
          <Form.Item>
            <Button
              type="primary"
              icon={<ExperimentOutlined />}
              onClick={run}
              loading={busy === 'run'}
              disabled={state.text.trim() === '' || state.from === null || state.to === null}
            >
              {t('sim.run')}
            </Button>
          </Form.Item>
        </Space>
      </Form>
      <div aria-live="polite">{error !== null && <ErrorNotice error={error} />}</div>
    </Card>
  );
}
