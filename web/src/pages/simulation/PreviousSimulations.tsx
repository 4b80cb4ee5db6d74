import { Button, Card, Progress, Table, Tag } from 'antd';
import type { SimulationSummary, SimulationTotals } from '../../api/simulation-types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Nothing } from '../../components/Loading';
import { dateTime } from '../../format';
import { type MessageKey, useI18n } from '../../i18n/i18n';
import type { Loaded } from '../../use-api';
import { Difference } from './MerchantImpacts';
import { changeText } from './SimulationView';

const DIFFERENCES: readonly { key: keyof SimulationTotals; label: MessageKey }[] = [
  { key: 'feeIncomeCny', label: 'sim.total.feeIncomeCny' },
  { key: 'discountCostCny', label: 'sim.total.discountCostCny' },
  { key: 'rebatesCny', label: 'sim.total.rebatesCny' },
  { key: 'subsidiesCny', label: 'sim.total.subsidiesCny' },
];

const STATUS_COLOR = { running: 'processing', done: 'green', failed: 'red' } as const;

/** The simulations the server keeps, newest first, with their differences side by side. */
export function PreviousSimulations({
  list,
  current,
  onOpen,
}: {
  readonly list: Loaded<{ items: SimulationSummary[] }>;
  readonly current: string | null;
  readonly onOpen: (id: string) => void;
}) {
  const { t } = useI18n();
  return (
    <Card title={<h2 className="card-title">{t('sim.historyTitle')}</h2>}>
      {list.error !== null && <ErrorNotice error={list.error} onRetry={list.reload} />}
      <Table<SimulationSummary>
        size="small"
        rowKey="id"
        loading={list.loading && list.data === null}
        dataSource={list.data?.items ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        data-testid="sim-history"
        rowClassName={(s) => (s.id === current ? 'row-selected' : '')}
        locale={{ emptyText: <Nothing text={t('sim.historyEmpty')} /> }}
        columns={[
          {
            title: t('sim.startedAt'),
            dataIndex: 'createdAt',
            render: (at: string, s) => (
              <Button
                type="link"
                size="small"
                onClick={() => onOpen(s.id)}
                aria-pressed={s.id === current}
              >
                {dateTime(at)}
              </Button>
            ),
          },
          {
            title: t('sim.quarters'),
            key: 'quarters',
            render: (_, s) => `${s.request.from} … ${s.request.to}`,
          },
          {
            title: t('sim.changes'),
            dataIndex: 'changes',
            render: (changes: SimulationSummary['changes']) =>
              changes.length === 0
                ? t('sim.noChanges')
                : changes.slice(0, 3).map((c) => (
                    <div key={c.path}>
                      <code>{changeText(c)}</code>
                    </div>
                  )),
          },
          {
            title: t('col.status'),
            dataIndex: 'status',
            render: (status: SimulationSummary['status'], s) =>
              status === 'running' ? (
                <Progress percent={Math.round(s.progress * 100)} size="small" />
              ) : (
                <Tag color={STATUS_COLOR[status]}>{t(`sim.status.${status}`)}</Tag>
              ),
          },
          {
            title: t('sim.moves'),
            dataIndex: 'moves',
            align: 'right',
            render: (n: number | null) => n ?? '—',
          },
          ...DIFFERENCES.map((d) => ({
            title: t(d.label),
            key: d.key,
            align: 'right' as const,
            render: (_: unknown, s: SimulationSummary) =>
              s.totals === null ? '—' : <Difference value={s.totals.difference[d.key]} />,
          })),
        ]}
      />
    </Card>
  );
}
