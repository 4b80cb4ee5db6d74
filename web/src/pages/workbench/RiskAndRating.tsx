import { App, Button, Col, DatePicker, Form, Row, Select, Table, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { api, path } from '../../api/client';
import type { Merchant } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Loading, Nothing } from '../../components/Loading';
import { Section } from '../../components/Section';
import { dateTime, shanghaiInstant } from '../../format';
import { useI18n } from '../../i18n/i18n';
import { useApi } from '../../use-api';

const instantOf = (value: Dayjs) => shanghaiInstant(value.format('YYYY-MM-DDTHH:mm:ss'));

/**
 * What only operators see and change: the FX rating and the risk flags.
 * Each change is a new fact from an instant on; nothing is edited in place.
 */
export function RiskAndRating({
  merchantId,
  onChanged,
}: {
  readonly merchantId: string;
  readonly onChanged: () => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const merchant = useApi<Merchant>(path('/v1/merchants', merchantId));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const post = async (what: string, url: string, body: unknown) => {
    setBusy(what);
    setError(null);
    try {
      await api(url, { method: 'POST', body });
      void message.success(t('merchant.saved'));
      merchant.reload();
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  if (merchant.loading) return <Loading />;
  if (merchant.error !== null)
    return <ErrorNotice error={merchant.error} onRetry={merchant.reload} />;
  const data = merchant.data;
  if (data === null) return null;

  return (
    <Section title={t('merchant.riskTitle')}>
      {error !== null && <ErrorNotice error={error} />}
      <Row gutter={[24, 24]}>
        <Col xs={24} lg={12}>
          <Typography.Title level={4}>{t('merchant.fxRating')}</Typography.Title>
          <Typography.Paragraph>
            {t('merchant.fxRatingStart', { rating: data.fxRating })}
          </Typography.Paragraph>
          <Table
            size="small"
            rowKey="at"
            pagination={false}
            dataSource={data.fxRatingChanges}
            locale={{ emptyText: <Nothing text={t('merchant.noRatingChanges')} /> }}
            columns={[
              { title: t('col.from'), dataIndex: 'at', render: (at: string) => dateTime(at) },
              {
                title: t('merchant.fxRating'),
                dataIndex: 'rating',
                render: (r: string) => <Tag>{r}</Tag>,
              },
            ]}
          />
          <Form<{ at: Dayjs; rating: string }>
            layout="inline"
            className="operator-form"
            onFinish={(v) =>
              post('rating', path('/v1/merchants', merchantId, 'fx-rating-changes'), {
                at: instantOf(v.at),
                rating: v.rating,
              })
            }
          >
            <Form.Item
              name="at"
              label={t('merchant.fromInstant')}
              rules={[{ required: true, message: t('form.required') }]}
            >
              <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
            </Form.Item>
            <Form.Item
              name="rating"
              label={t('merchant.newRating')}
              rules={[{ required: true, message: t('form.required') }]}
            >
              <Select
                className="rating-select"
                options={['A', 'B', 'C'].map((r) => ({ value: r, label: r }))}
              />
            </Form.Item>
            <Form.Item>
              <Button htmlType="submit" loading={busy === 'rating'}>
                {t('merchant.changeRating')}
              </Button>
            </Form.Item>
          </Form>
        </Col>
        <Col xs={24} lg={12}>
          <Typography.Title level={4}>{t('merchant.riskFlags')}</Typography.Title>
          <Table
            size="small"
            rowKey="from"
            pagination={false}
            dataSource={data.riskFlags}
            locale={{ emptyText: <Nothing text={t('merchant.noFlags')} /> }}
            columns={[
              { title: t('col.from'), dataIndex: 'from', render: (at: string) => dateTime(at) },
              {
                title: t('col.to'),
                dataIndex: 'to',
                render: (at: string | null) =>
                  at === null ? <Tag color="red">{t('merchant.flagOpen')}</Tag> : dateTime(at),
              },
            ]}
          />
          <Form<{ from: Dayjs; to?: Dayjs | null }>
            layout="inline"
            className="operator-form"
            onFinish={(v) =>
              post('flag', path('/v1/merchants', merchantId, 'risk-flags'), {
                from: instantOf(v.from),
                to: v.to ? instantOf(v.to) : null,
              })
            }
          >
            <Form.Item
              name="from"
              label={t('col.from')}
              rules={[{ required: true, message: t('form.required') }]}
            >
              <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
            </Form.Item>
            <Form.Item name="to" label={t('col.to')} extra={t('merchant.flagToHelp')}>
              <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
            </Form.Item>
            <Form.Item>
              <Button htmlType="submit" danger loading={busy === 'flag'}>
                {t('merchant.saveFlag')}
              </Button>
            </Form.Item>
          </Form>
          <Typography.Paragraph type="secondary">{t('merchant.flagNote')}</Typography.Paragraph>
        </Col>
      </Row>
    </Section>
  );
}
