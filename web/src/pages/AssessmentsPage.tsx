import { PlayCircleOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Col,
  DatePicker,
  Descriptions,
  Form,
  Row,
  Table,
  type TableColumnsType,
  Tag,
  Typography,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { api, path, withQuery } from '../api/client';
import type {
  Assessment,
  CalendarEntry,
  JumpRebate,
  LateOrder,
  Page,
  ProgrammeReport,
} from '../api/types';
import { Amount } from '../components/Amount';
import { ErrorNotice } from '../components/ErrorNotice';
import { LevelTag } from '../components/LevelTag';
import { Loading, Nothing } from '../components/Loading';
import { dateTime, shanghaiInstant } from '../format';
import { useI18n } from '../i18n/i18n';
import { animateCharts } from '../motion';
import { Link } from '../router';
import { useApi } from '../use-api';

const LEVEL_COLORS = ['#b0b7c3', '#5b8ff9', '#36cfc9', '#9254de', '#faad14'];

function entryKey(entry: { service: string; quarter: string }) {
  return `${entry.service}|${entry.quarter}`;
}

/** Every level any assessment gave, so a level nobody reached shows as a zero bar. */
function levelNames(entries: readonly CalendarEntry[]): string[] {
  return [...new Set(entries.flatMap((e) => Object.keys(e.levels)))].sort();
}

function LevelChart({
  entry,
  levels,
}: {
  readonly entry: CalendarEntry;
  readonly levels: readonly string[];
}) {
  const { t } = useI18n();
  const data =
    entry.merchants === null
      ? []
      : levels.map((level) => ({ level, merchants: entry.levels[level] ?? 0 }));
  if (data.length === 0) return <Nothing text={t('assess.noLevels')} />;
  const summary = data.map((d) => `${d.level}: ${d.merchants}`).join(', ');
  return (
    <figure
      className="chart"
      aria-label={t('assess.chartLabel', { quarter: entry.quarter, summary })}
    >
      <ResponsiveContainer width="100%" height={260}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="level" />
          <YAxis allowDecimals={false} />
          <Tooltip formatter={(value) => [String(value), t('assess.merchants')]} />
          <Bar
            isAnimationActive={animateCharts}
            dataKey="merchants"
            name={t('assess.merchants')}
            radius={[4, 4, 0, 0]}
            fill={LEVEL_COLORS[2]}
          >
            {data.map((d, index) => (
              <Cell key={d.level} fill={LEVEL_COLORS[index % LEVEL_COLORS.length]} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
      <figcaption className="sr-only">{summary}</figcaption>
    </figure>
  );
}

function PagedTable<T extends object>({
  url,
  columns,
  rowKey,
  empty,
}: {
  readonly url: string;
  readonly columns: TableColumnsType<T>;
  readonly rowKey: keyof T & string;
  readonly empty: string;
}) {
  const { t } = useI18n();
  const [after, setAfter] = useState<string | null>(null);
  const [history, setHistory] = useState<string[]>([]);
  const page = useApi<Page<T>>(withQuery(url, { after, limit: 10 }));
  if (page.error !== null) return <ErrorNotice error={page.error} onRetry={page.reload} />;
  return (
    <>
      <Table<T>
        size="small"
        rowKey={rowKey}
        loading={page.loading}
        dataSource={page.data?.items ?? []}
        columns={columns}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Nothing text={empty} /> }}
      />
      <div className="pager">
        <Button
          disabled={history.length === 0}
          onClick={() => {
            const previous = history.slice(0, -1);
            setAfter(history.length > 1 ? (history[history.length - 2] ?? null) : null);
            setHistory(previous);
          }}
        >
          {t('action.previous')}
        </Button>
        <Button
          disabled={!page.data?.next}
          onClick={() => {
            const next = page.data?.next ?? null;
            if (next === null) return;
            setHistory([...history, next]);
            setAfter(next);
          }}
        >
          {t('action.next')}
        </Button>
      </div>
    </>
  );
}

function QuarterDetail({
  entry,
  report,
  levels,
}: {
  readonly entry: CalendarEntry;
  readonly levels: readonly string[];
  readonly report: ProgrammeReport | null;
}) {
  const { t } = useI18n();
  const figures = report?.quarters.find((q) => q.quarter === entry.quarter) ?? null;
  const base = path('/v1/assessments', entry.service, entry.quarter);
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={12}>
        <Card
          title={
            <h2 className="card-title">
              {t('assess.distribution', { service: entry.service, quarter: entry.quarter })}
            </h2>
          }
        >
          <LevelChart entry={entry} levels={levels} />
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card title={<h2 className="card-title">{t('assess.jumps')}</h2>}>
          {figures === null ? (
            <Nothing text={t('assess.noJumps')} />
          ) : (
            <Descriptions column={1} size="small" bordered>
              <Descriptions.Item label={t('assess.jumpCount')}>{figures.jumps}</Descriptions.Item>
              <Descriptions.Item label={t('assess.rebatesIssued')}>
                <Amount value={figures.rebatesIssuedCny} currency="CNY" />
              </Descriptions.Item>
              <Descriptions.Item label={t('assess.rebatesSuppressed')}>
                {figures.rebatesSuppressed}
              </Descriptions.Item>
            </Descriptions>
          )}
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card title={<h2 className="card-title">{t('assess.levels')}</h2>}>
          <PagedTable<Assessment>
            url={`${base}/levels`}
            rowKey="merchantId"
            empty={t('assess.noLevels')}
            columns={[
              {
                title: t('col.merchant'),
                dataIndex: 'merchantId',
                render: (id: string) => (
                  <Link to={`/merchants/${encodeURIComponent(id)}`}>{id}</Link>
                ),
              },
              {
                title: t('col.amountUsd'),
                dataIndex: 'amountUsd',
                align: 'right',
                render: (v: string) => <Amount value={v} currency="USD" />,
              },
              { title: t('col.orders'), dataIndex: 'orderCount', align: 'right' },
              {
                title: t('col.level'),
                dataIndex: 'level',
                render: (l: string) => <LevelTag level={l} />,
              },
            ]}
          />
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card
          title={<h2 className="card-title">{t('assess.late', { count: entry.lateOrders })}</h2>}
        >
          <Typography.Paragraph type="secondary">{t('assess.lateNote')}</Typography.Paragraph>
          <PagedTable<LateOrder>
            url={`${base}/late-orders`}
            rowKey="id"
            empty={t('assess.noLate')}
            columns={[
              { title: t('col.order'), dataIndex: 'id' },
              {
                title: t('col.merchant'),
                dataIndex: 'merchantId',
                render: (id: string) => (
                  <Link to={`/merchants/${encodeURIComponent(id)}`}>{id}</Link>
                ),
              },
              {
                title: t('col.amountUsd'),
                dataIndex: 'amountUsd',
                align: 'right',
                render: (v: string) => <Amount value={v} currency="USD" />,
              },
              {
                title: t('col.clearedAt'),
                dataIndex: 'clearedAt',
                render: (at: string) => dateTime(at),
              },
            ]}
          />
        </Card>
      </Col>
      <Col xs={24}>
        <Card title={<h2 className="card-title">{t('assess.jumpList')}</h2>}>
          <PagedTable<JumpRebate>
            url={`${base}/jump-rebates`}
            rowKey="merchantId"
            empty={t('assess.noJumpList')}
            columns={[
              {
                title: t('col.merchant'),
                dataIndex: 'merchantId',
                render: (id: string) => (
                  <Link to={`/merchants/${encodeURIComponent(id)}`}>{id}</Link>
                ),
              },
              {
                title: t('assess.jumpLevels'),
                key: 'levels',
                render: (_: unknown, j: JumpRebate) => (
                  <span data-testid={`jump-${j.merchantId}`}>
                    <LevelTag level={j.fromLevel} /> → <LevelTag level={j.toLevel} />
                  </span>
                ),
              },
              {
                title: t('assess.increaseUsd'),
                dataIndex: 'increaseUsd',
                align: 'right',
                render: (v: string) => <Amount value={v} currency="USD" />,
              },
              {
                title: t('col.rebateCny'),
                dataIndex: 'rebateCny',
                align: 'right',
                render: (v: string) => <Amount value={v} currency="CNY" />,
              },
              {
                title: t('col.status'),
                dataIndex: 'status',
                render: (status: JumpRebate['status'], j: JumpRebate) =>
                  status === 'issued' ? (
                    <Tag color="green">{t('assess.jumpIssued')}</Tag>
                  ) : (
                    <Tag color="orange" title={j.reason ?? undefined}>
                      {t('assess.jumpSuppressed')}
                      {j.reason === null ? '' : `: ${j.reason}`}
                    </Tag>
                  ),
              },
              {
                title: t('col.coupon'),
                dataIndex: 'couponId',
                render: (c: string | null) => c ?? '—',
              },
            ]}
          />
        </Card>
      </Col>
    </Row>
  );
}

function RunDue({ onDone }: { readonly onDone: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<Record<string, unknown> | null>(null);
  const run = async ({ until }: { until: Dayjs }) => {
    setBusy(true);
    setError(null);
    try {
      const outcome = await api<Record<string, unknown>>('/v1/assessments/run', {
        method: 'POST',
        body: { until: shanghaiInstant(until.format('YYYY-MM-DDTHH:mm:ss')) },
      });
      setResult(outcome);
      void message.success(t('assess.ran'));
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={<h2 className="card-title">{t('assess.runTitle')}</h2>}>
      <Typography.Paragraph type="secondary">{t('assess.runIntro')}</Typography.Paragraph>
      <Form<{ until: Dayjs }> layout="inline" onFinish={run}>
        <Form.Item
          name="until"
          label={t('assess.until')}
          rules={[{ required: true, message: t('form.required') }]}
        >
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" icon={<PlayCircleOutlined />} loading={busy}>
            {t('assess.run')}
          </Button>
        </Form.Item>
      </Form>
      {error !== null && <ErrorNotice error={error} />}
      {result !== null && (
        <Descriptions size="small" column={{ xs: 1, sm: 2, md: 5 }} className="gap-above">
          {Object.entries(result).map(([name, value]) => (
            <Descriptions.Item key={name} label={name}>
              {Array.isArray(value)
                ? value.length
                : typeof value === 'object'
                  ? JSON.stringify(value)
                  : String(value)}
            </Descriptions.Item>
          ))}
        </Descriptions>
      )}
    </Card>
  );
}

export function AssessmentsPage() {
  const { t } = useI18n();
  const calendar = useApi<{ items: CalendarEntry[] }>('/v1/assessments');
  const report = useApi<ProgrammeReport>('/v1/reports/programme');
  const [selected, setSelected] = useState<string | null>(null);
  const items = calendar.data?.items ?? [];
  const doneItems = items.filter((e) => e.status === 'done');
  const current =
    items.find((e) => entryKey(e) === selected) ?? doneItems[doneItems.length - 1] ?? null;
  const statusColor = { done: 'green', due: 'orange', scheduled: 'default' } as const;

  return (
    <div className="stack">
      <div className="page-header">
        <Typography.Title level={1} className="page-title">
          {t('assess.title')}
        </Typography.Title>
      </div>
      <Card title={<h2 className="card-title">{t('assess.calendar')}</h2>}>
        {calendar.loading && <Loading />}
        {calendar.error !== null && (
          <ErrorNotice error={calendar.error} onRetry={calendar.reload} />
        )}
        {calendar.data !== null && (
          <Table<CalendarEntry>
            size="small"
            rowKey={entryKey}
            dataSource={items}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: <Nothing text={t('assess.empty')} /> }}
            rowClassName={(e) =>
              current !== null && entryKey(e) === entryKey(current) ? 'row-selected' : ''
            }
            columns={[
              { title: t('col.service'), dataIndex: 'service' },
              {
                title: t('col.quarter'),
                dataIndex: 'quarter',
                render: (q: string, e) => (
                  <Button
                    type="link"
                    size="small"
                    onClick={() => setSelected(entryKey(e))}
                    aria-pressed={current !== null && entryKey(e) === entryKey(current)}
                  >
                    {q}
                  </Button>
                ),
              },
              {
                title: t('col.effectiveFrom'),
                dataIndex: 'effectiveAt',
                render: (at: string) => dateTime(at),
              },
              {
                title: t('col.status'),
                dataIndex: 'status',
                render: (s: CalendarEntry['status']) => (
                  <Tag color={statusColor[s]}>{t(`assess.status.${s}`)}</Tag>
                ),
              },
              {
                title: t('assess.merchants'),
                dataIndex: 'merchants',
                align: 'right',
                render: (n: number | null) => n ?? '—',
              },
              { title: t('assess.lateCount'), dataIndex: 'lateOrders', align: 'right' },
              { title: t('col.rulebook'), dataIndex: 'rulebook' },
            ]}
          />
        )}
      </Card>
      {current !== null && (
        <QuarterDetail
          key={entryKey(current)}
          entry={current}
          report={report.data}
          levels={levelNames(items)}
        />
      )}
      <RunDue
        onDone={() => {
          calendar.reload();
          report.reload();
        }}
      />
    </div>
  );
}
