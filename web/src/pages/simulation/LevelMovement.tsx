import { Button, Card, Select, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { LevelCount, LevelMove, SimulationResult } from '../../api/simulation-types';
import { Amount } from '../../components/Amount';
import { LevelTag } from '../../components/LevelTag';
import { Nothing } from '../../components/Loading';
import { useI18n } from '../../i18n/i18n';
import { animateCharts } from '../../motion';

const BASE_COLOR = '#b0b7c3';
const DRAFT_COLOR = '#1d5bd8';

interface ChartRow extends LevelCount {
  readonly key: string;
  /** The first level of its quarter: the quarter is written under it. */
  readonly first: boolean;
}

function chartRows(counts: readonly LevelCount[], service: string): ChartRow[] {
  const rows = counts
    .filter((c) => c.service === service)
    .sort((a, b) => a.quarter.localeCompare(b.quarter) || a.level.localeCompare(b.level));
  return rows.map((c, i) => ({
    ...c,
    key: `${c.quarter} ${c.level}`,
    first: i === 0 || rows[i - 1]?.quarter !== c.quarter,
  }));
}

/** Two lines under each pair of bars: the level, and the quarter under the first of its group. */
function LevelTick(props: {
  readonly x?: number | string;
  readonly y?: number | string;
  readonly payload?: { readonly value?: string };
  readonly rows: ReadonlyMap<string, ChartRow>;
}) {
  const row = props.rows.get(props.payload?.value ?? '');
  if (!row) return null;
  return (
    <g transform={`translate(${props.x ?? 0},${props.y ?? 0})`}>
      <text dy={12} textAnchor="middle" fontSize={11} fill="#595959">
        {row.level}
      </text>
      {row.first && (
        <text dy={28} textAnchor="start" dx={-12} fontSize={12} fontWeight={600} fill="#262626">
          {row.quarter}
        </text>
      )}
    </g>
  );
}

/**
 * Merchants per level per quarter, base beside draft, as grouped bars, then
 * every level move with the reason under the draft.
 */
export function LevelMovement({
  result,
  onOpenMerchant,
}: {
  readonly result: SimulationResult;
  readonly onOpenMerchant: (merchantId: string) => void;
}) {
  const { t, lang } = useI18n();
  const services = [...new Set(result.levelCounts.map((c) => c.service))].sort();
  const [service, setService] = useState(services[0] ?? '3+N');
  const rows = chartRows(result.levelCounts, service);
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const changed = rows.filter((r) => r.base !== r.draft);
  const summary =
    changed.length === 0
      ? t('sim.noMovement')
      : changed.map((r) => `${r.quarter} ${r.level}: ${r.base} → ${r.draft}`).join(', ');
  const moves = result.moves.filter((m) => m.service === service);

  return (
    <Card
      title={<h2 className="card-title">{t('sim.movementTitle')}</h2>}
      extra={
        services.length > 1 && (
          <Select
            aria-label={t('col.service')}
            value={service}
            onChange={setService}
            options={services.map((s) => ({ value: s, label: s }))}
          />
        )
      }
    >
      <Typography.Paragraph data-testid="sim-move-count">
        {t('sim.moveCount', { count: moves.length })}
      </Typography.Paragraph>
      {rows.length === 0 ? (
        <Nothing text={t('sim.noLevels')} />
      ) : (
        <figure className="chart" aria-label={t('sim.chartLabel', { service, summary })}>
          <ResponsiveContainer width="100%" height={320}>
            <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 24, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis
                dataKey="key"
                interval={0}
                height={40}
                tick={(tick) => (
                  <LevelTick
                    x={tick.x}
                    y={tick.y}
                    payload={{ value: String(tick.payload?.value ?? '') }}
                    rows={byKey}
                  />
                )}
              />
              <YAxis allowDecimals={false} />
              <Tooltip />
              <Legend verticalAlign="top" />
              <Bar
                dataKey="base"
                name={t('sim.base')}
                fill={BASE_COLOR}
                isAnimationActive={animateCharts}
              />
              <Bar
                dataKey="draft"
                name={t('sim.draft')}
                fill={DRAFT_COLOR}
                isAnimationActive={animateCharts}
              />
            </BarChart>
          </ResponsiveContainer>
          <figcaption className="muted">{summary}</figcaption>
        </figure>
      )}
      <h3 className="card-title gap-above">{t('sim.movesTitle')}</h3>
      <Table<LevelMove>
        size="small"
        rowKey={(m) => `${m.merchantId}|${m.service}|${m.quarter}`}
        dataSource={moves}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: 'max-content' }}
        data-testid="sim-moves"
        locale={{ emptyText: <Nothing text={t('sim.noMoves')} /> }}
        columns={[
          {
            title: t('col.merchant'),
            dataIndex: 'merchantId',
            render: (id: string) => (
              <Button type="link" size="small" onClick={() => onOpenMerchant(id)}>
                {id}
              </Button>
            ),
          },
          { title: t('col.quarter'), dataIndex: 'quarter' },
          {
            title: t('col.amountUsd'),
            dataIndex: 'amountUsd',
            align: 'right',
            render: (v: string) => <Amount value={v} currency="USD" />,
          },
          {
            title: t('sim.levelChange'),
            key: 'levels',
            render: (_, m) => (
              <Space size={4}>
                <LevelTag level={m.baseLevel} />→<LevelTag level={m.draftLevel} />
              </Space>
            ),
          },
          {
            title: t('sim.why'),
            key: 'why',
            width: 480,
            ellipsis: { showTitle: true },
            render: (_, m) => (lang === 'en' ? m.draft?.en : m.draft?.zh) ?? '—',
          },
        ]}
      />
    </Card>
  );
}
