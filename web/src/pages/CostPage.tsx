import { Card, Col, Row, Statistic, Table, Typography } from 'antd';
import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { ProgrammeReport, QuarterFigures } from '../api/types';
import { Amount } from '../components/Amount';
import { ErrorNotice } from '../components/ErrorNotice';
import { Loading, Nothing } from '../components/Loading';
import { money } from '../format';
import { type MessageKey, useI18n } from '../i18n/i18n';
import { animateCharts } from '../motion';
import { useApi } from '../use-api';

type Series = 'discountCostCny' | 'rebatesIssuedCny' | 'subsidiesCny' | 'couponsOutstandingCny';

const SERIES: readonly { key: Series; label: MessageKey; color: string }[] = [
  { key: 'discountCostCny', label: 'cost.discounts', color: '#1d5bd8' },
  { key: 'rebatesIssuedCny', label: 'cost.rebates', color: '#36cfc9' },
  { key: 'subsidiesCny', label: 'cost.subsidies', color: '#faad14' },
];

/**
 * Chart heights are numbers, so the chart gets numbers; every figure a
 * person reads (tooltip, table, totals) is the API's decimal string.
 */
function chartRows(quarters: readonly QuarterFigures[]) {
  return quarters.map((q) => ({
    quarter: q.quarter,
    exact: q,
    discountCostCny: Number(q.discountCostCny),
    rebatesIssuedCny: Number(q.rebatesIssuedCny),
    subsidiesCny: Number(q.subsidiesCny),
    couponsOutstandingCny:
      q.couponsOutstandingCny === undefined ? null : Number(q.couponsOutstandingCny),
  }));
}

export function CostPage() {
  const { t, lang } = useI18n();
  const report = useApi<ProgrammeReport>('/v1/reports/programme');
  // Axis ticks only: 12万 or 120K. The amounts themselves are never shown this way.
  const compact = new Intl.NumberFormat(lang, { notation: 'compact' });
  const data = report.data;
  const hasLiability = data?.quarters.some((q) => q.couponsOutstandingCny !== undefined) ?? false;

  return (
    <div className="stack">
      <div className="page-header">
        <Typography.Title level={1} className="page-title">
          {t('cost.title')}
        </Typography.Title>
      </div>
      {report.loading && <Loading rows={6} />}
      {report.error !== null && <ErrorNotice error={report.error} onRetry={report.reload} />}
      {data !== null && (
        <>
          <Row gutter={[16, 16]}>
            {(
              [
                ['cost.couponsIssued', data.coupons.issuedCny],
                ['cost.couponsUsed', data.coupons.usedCny],
                ['cost.couponsForfeited', data.coupons.forfeitedCny],
                ['cost.couponsOutstanding', data.coupons.outstandingCny],
              ] as const
            ).map(([label, value]) => (
              <Col xs={12} md={6} key={label}>
                <Card>
                  <Statistic
                    title={t(label)}
                    value={money(value, 'CNY')}
                    valueStyle={{ fontVariantNumeric: 'tabular-nums' }}
                  />
                </Card>
              </Col>
            ))}
          </Row>
          <Card title={<h2 className="card-title">{t('cost.chartTitle')}</h2>}>
            {data.quarters.length === 0 ? (
              <Nothing text={t('cost.empty')} />
            ) : (
              <figure className="chart" aria-label={t('cost.chartLabel')}>
                <ResponsiveContainer width="100%" height={320}>
                  <ComposedChart
                    data={chartRows(data.quarters)}
                    margin={{ top: 8, right: 8, bottom: 8, left: 16 }}
                  >
                    <CartesianGrid strokeDasharray="3 3" vertical={false} />
                    <XAxis dataKey="quarter" />
                    <YAxis tickFormatter={(v: number) => `¥${compact.format(v)}`} width={72} />
                    <Tooltip
                      formatter={(_value, name, item) => {
                        const series =
                          SERIES.find((s) => t(s.label) === name)?.key ?? 'couponsOutstandingCny';
                        const exact = (item.payload as { exact: QuarterFigures }).exact[series];
                        return [money(exact ?? null, 'CNY'), name];
                      }}
                    />
                    <Legend />
                    {SERIES.map((s) => (
                      <Bar
                        key={s.key}
                        dataKey={s.key}
                        name={t(s.label)}
                        stackId="cost"
                        isAnimationActive={animateCharts}
                        fill={s.color}
                      />
                    ))}
                    {hasLiability && (
                      <Line
                        isAnimationActive={animateCharts}
                        dataKey="couponsOutstandingCny"
                        name={t('cost.liability')}
                        stroke="#d4380d"
                        strokeWidth={2}
                      />
                    )}
                  </ComposedChart>
                </ResponsiveContainer>
                {!hasLiability && (
                  <figcaption className="muted">
                    {t('cost.liabilityNow', { amount: money(data.coupons.outstandingCny, 'CNY') })}
                  </figcaption>
                )}
              </figure>
            )}
          </Card>
          <Card title={<h2 className="card-title">{t('cost.tableTitle')}</h2>}>
            <Table<QuarterFigures>
              size="small"
              rowKey="quarter"
              dataSource={data.quarters}
              pagination={false}
              // As wide as the card: the headings wrap before the table scrolls. At
              // 'max-content' they never wrap, and at 1280px the last column was cut.
              scroll={{ x: true }}
              locale={{ emptyText: <Nothing text={t('cost.empty')} /> }}
              columns={[
                { title: t('col.quarter'), dataIndex: 'quarter' },
                { title: t('cost.feesCharged'), dataIndex: 'feesCharged', align: 'right' },
                {
                  title: t('cost.feeNet'),
                  dataIndex: 'feeNetCny',
                  align: 'right',
                  render: (v: string) => <Amount value={v} currency="CNY" />,
                },
                {
                  title: t('cost.standardNet'),
                  dataIndex: 'standardFeeNetCny',
                  align: 'right',
                  render: (v: string) => <Amount value={v} currency="CNY" />,
                },
                {
                  title: t('cost.discounts'),
                  dataIndex: 'discountCostCny',
                  align: 'right',
                  render: (v: string) => <Amount value={v} currency="CNY" />,
                },
                { title: t('assess.jumpCount'), dataIndex: 'jumps', align: 'right' },
                {
                  title: t('cost.rebates'),
                  dataIndex: 'rebatesIssuedCny',
                  align: 'right',
                  render: (v: string) => <Amount value={v} currency="CNY" />,
                },
                { title: t('cost.subsidised'), dataIndex: 'settlementsSubsidised', align: 'right' },
                {
                  title: t('cost.subsidies'),
                  dataIndex: 'subsidiesCny',
                  align: 'right',
                  render: (v: string) => <Amount value={v} currency="CNY" />,
                },
                ...(hasLiability
                  ? [
                      {
                        title: t('cost.liability'),
                        dataIndex: 'couponsOutstandingCny',
                        align: 'right' as const,
                        render: (v: string) => <Amount value={v} currency="CNY" />,
                      },
                    ]
                  : []),
                { title: t('cost.feeErrors'), dataIndex: 'feeErrors', align: 'right' },
              ]}
            />
            {data.feeErrors.length > 0 && (
              <Typography.Paragraph type="secondary" className="gap-above">
                {t('cost.feeErrorCodes', {
                  list: data.feeErrors.map((e) => `${e.code} × ${e.count}`).join(', '),
                })}
              </Typography.Paragraph>
            )}
          </Card>
        </>
      )}
    </div>
  );
}
