import { DownloadOutlined, EditOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Progress, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { download, path } from '../../api/client';
import type {
  DraftChange,
  Simulation,
  SimulationResult,
  SimulationTotals,
} from '../../api/simulation-types';
import { Amount } from '../../components/Amount';
import { ErrorNotice } from '../../components/ErrorNotice';
import { dateTime } from '../../format';
import { type MessageKey, useI18n } from '../../i18n/i18n';
import { LevelMovement } from './LevelMovement';
import { Difference, MerchantImpacts, SideBySide } from './MerchantImpacts';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const TOTALS: readonly { key: keyof SimulationTotals; label: MessageKey }[] = [
  { key: 'feeIncomeCny', label: 'sim.total.feeIncomeCny' },
  { key: 'discountCostCny', label: 'sim.total.discountCostCny' },
  { key: 'rebatesCny', label: 'sim.total.rebatesCny' },
  { key: 'subsidiesCny', label: 'sim.total.subsidiesCny' },
  { key: 'couponLiabilityCny', label: 'sim.total.couponLiabilityCny' },
  { key: 'feeErrors', label: 'sim.total.feeErrors' },
];

const text = (value: unknown) => (value === undefined ? '—' : JSON.stringify(value));

/** `programmes.3+N.levels[2].fromUsd: "500000" → "400000"`. */
export function changeText(change: DraftChange): string {
  return `${change.path}: ${text(change.before)} → ${text(change.after)}`;
}

function Totals({ result }: { readonly result: SimulationResult }) {
  const { t } = useI18n();
  const rows = TOTALS.map((row) => ({
    key: row.key,
    label: t(row.label),
    base: result.totals.base[row.key],
    draft: result.totals.draft[row.key],
    difference: result.totals.difference[row.key],
  }));
  const cell = (key: string, v: string) =>
    key === 'feeErrors' ? v : <Amount value={v} currency="CNY" />;
  return (
    <Card title={<h2 className="card-title">{t('sim.totalsTitle')}</h2>}>
      <Table
        size="small"
        rowKey="key"
        pagination={false}
        dataSource={rows}
        data-testid="sim-totals"
        columns={[
          { title: '', dataIndex: 'label' },
          {
            title: `${t('sim.base')} (${result.baseRulebook})`,
            dataIndex: 'base',
            align: 'right',
            render: (v: string, row) => cell(row.key, v),
          },
          {
            title: t('sim.draft'),
            dataIndex: 'draft',
            align: 'right',
            render: (v: string, row) => cell(row.key, v),
          },
          {
            title: t('sim.difference'),
            dataIndex: 'difference',
            align: 'right',
            render: (v: string, row) => (row.key === 'feeErrors' ? v : <Difference value={v} />),
          },
        ]}
      />
      {result.carriedMonthlyRates !== undefined && result.carriedMonthlyRates.length > 0 && (
        <Typography.Paragraph type="secondary" className="gap-above">
          {t('sim.carried', { months: result.carriedMonthlyRates.join(', ') })}
        </Typography.Paragraph>
      )}
    </Card>
  );
}

/** A simulation: its progress while it runs, its error, or its result. */
export function SimulationView({
  simulation,
  onEditDraft,
}: {
  readonly simulation: Simulation;
  readonly onEditDraft: (simulation: Simulation) => void;
}) {
  const { t } = useI18n();
  const [merchant, setMerchant] = useState<string | null>(null);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const { request, result } = simulation;
  const save = async (format: 'csv' | 'xlsx') => {
    setDownloadError(null);
    try {
      await download(
        path('/v1/simulations', `${simulation.id}.${format}`),
        format === 'csv' ? 'text/csv' : XLSX,
        `${simulation.id}.${format}`,
      );
    } catch (err) {
      setDownloadError(err);
    }
  };

  return (
    <div className="stack" data-testid="sim-view">
      <Card
        title={
          <h2 className="card-title">
            {t('sim.viewTitle', { from: request.from, to: request.to })}
          </h2>
        }
        extra={
          <Button icon={<EditOutlined />} onClick={() => onEditDraft(simulation)}>
            {t('sim.editDraft')}
          </Button>
        }
      >
        <Typography.Paragraph type="secondary">
          {t('sim.started', { at: dateTime(simulation.createdAt), id: simulation.id })}
        </Typography.Paragraph>
        <Space wrap className="gap-below">
          {simulation.changes.length === 0 ? (
            <Tag>{t('sim.noChanges')}</Tag>
          ) : (
            simulation.changes.map((c) => (
              <Tag key={c.path} color="blue">
                <code>{changeText(c)}</code>
              </Tag>
            ))
          )}
        </Space>
        {simulation.status === 'running' && (
          <div aria-live="polite">
            <Progress
              percent={Math.round(simulation.progress * 100)}
              status="active"
              aria-label={t('sim.progress')}
            />
            <Typography.Text type="secondary" data-testid="sim-stage">
              {t(`sim.stage.${simulation.stage ?? 'queued'}` as MessageKey)}
            </Typography.Text>
          </div>
        )}
        {simulation.status === 'failed' && simulation.error !== undefined && (
          <Alert
            type="error"
            showIcon
            title={t('sim.failed', { code: simulation.error.code })}
            description={
              <>
                <p>{simulation.error.message}</p>
                <ul className="field-errors">
                  {simulation.error.issues.map((i) => (
                    <li key={`${i.path}:${i.message}`}>
                      <code>{i.path}</code> {i.message}
                    </li>
                  ))}
                </ul>
              </>
            }
          />
        )}
        {result !== undefined && (
          <Space wrap>
            <Typography.Text data-testid="sim-done">
              {t('sim.done', { base: result.baseRulebook })}
            </Typography.Text>
            <Button icon={<DownloadOutlined />} onClick={() => save('csv')}>
              CSV
            </Button>
            <Button icon={<DownloadOutlined />} onClick={() => save('xlsx')}>
              XLSX
            </Button>
          </Space>
        )}
        {downloadError !== null && <ErrorNotice error={downloadError} />}
      </Card>
      {result !== undefined && (
        <>
          <Totals result={result} />
          <LevelMovement result={result} onOpenMerchant={setMerchant} />
          <MerchantImpacts result={result} onOpenMerchant={setMerchant} />
          <SideBySide result={result} merchantId={merchant} onClose={() => setMerchant(null)} />
        </>
      )}
    </div>
  );
}
