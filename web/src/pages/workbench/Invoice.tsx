import { DownloadOutlined } from '@ant-design/icons';
import { Button, DatePicker, Descriptions, Form, Radio, Space, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { download, path, withQuery } from '../../api/client';
import { Amount } from '../../components/Amount';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loading } from '../../components/Loading';
import { Section } from '../../components/Section';
import { useI18n } from '../../i18n/i18n';
import { useApi } from '../../use-api';

interface InvoiceSummary {
  readonly lines: readonly unknown[];
  readonly totals: { readonly netCny: string; readonly vatCny: string; readonly grossCny: string };
}

type Format = 'csv' | 'xlsx';

const ACCEPT: Record<Format, string> = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** The quarter holding `day`, as its first and last days (Shanghai dates). */
function quarterOf(day: string): [Dayjs, Dayjs] {
  const start = dayjs(day).startOf('month');
  const first = start.month(Math.floor(start.month() / 3) * 3);
  return [first, first.add(3, 'month').subtract(1, 'day')];
}

export function Invoice({
  merchantId,
  day,
}: {
  readonly merchantId: string;
  readonly day: string;
}) {
  const { t } = useI18n();
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => quarterOf(day));
  const [format, setFormat] = useState<Format>('csv');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const from = range[0].format('YYYY-MM-DD');
  const to = range[1].format('YYYY-MM-DD');
  const url = (fmt: 'json' | Format) =>
    withQuery(path('/v1/merchants', merchantId, 'invoice'), { from, to, format: fmt });
  const preview = useApi<InvoiceSummary>(url('json'));

  const fetchFile = async () => {
    setBusy(true);
    setError(null);
    try {
      await download(url(format), ACCEPT[format], `invoice-${merchantId}-${from}-${to}.${format}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title={t('invoice.title')}>
      <Typography.Paragraph type="secondary">{t('invoice.intro')}</Typography.Paragraph>
      <Form layout="inline" className="invoice-form" onFinish={fetchFile}>
        <Form.Item label={t('invoice.period')}>
          <DatePicker.RangePicker
            value={range}
            allowClear={false}
            onChange={(value) => {
              if (value?.[0] && value[1]) setRange([value[0], value[1]]);
            }}
            aria-label={t('invoice.period')}
          />
        </Form.Item>
        <Form.Item label={t('invoice.format')}>
          <Radio.Group value={format} onChange={(event) => setFormat(event.target.value as Format)}>
            <Radio.Button value="csv">CSV</Radio.Button>
            <Radio.Button value="xlsx">XLSX</Radio.Button>
          </Radio.Group>
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" icon={<DownloadOutlined />} loading={busy}>
            {t('invoice.download')}
          </Button>
        </Form.Item>
      </Form>
      {error !== null && <ErrorNotice error={error} />}
      <div className="invoice-preview" aria-live="polite">
        {preview.loading && <Loading rows={1} />}
        {preview.error !== null && <ErrorNotice error={preview.error} onRetry={preview.reload} />}
        {preview.data !== null && (
          <Space direction="vertical" className="full-width">
            <Descriptions size="small" column={{ xs: 1, sm: 2, md: 4 }} bordered>
              <Descriptions.Item label={t('invoice.lines')}>
                {preview.data.lines.length}
              </Descriptions.Item>
              <Descriptions.Item label={t('col.netCny')}>
                <Amount value={preview.data.totals.netCny} currency="CNY" />
              </Descriptions.Item>
              <Descriptions.Item label={t('col.vatCny')}>
                <Amount value={preview.data.totals.vatCny} currency="CNY" />
              </Descriptions.Item>
              <Descriptions.Item label={t('col.grossCny')}>
                <Amount value={preview.data.totals.grossCny} currency="CNY" />
              </Descriptions.Item>
            </Descriptions>
          </Space>
        )}
      </div>
    </Section>
  );
}
