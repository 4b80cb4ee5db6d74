import { SearchOutlined } from '@ant-design/icons';
import { Button, Card, Form, Input, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { withQuery } from '../api/client';
import type { Merchant, Page } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Nothing } from '../components/Loading';
import { useI18n } from '../i18n/i18n';
import { Link, navigate } from '../router';
import { useApi } from '../use-api';

export function MerchantsPage() {
  const { t } = useI18n();
  const [filter, setFilter] = useState('');
  const [after, setAfter] = useState<string | null>(null);
  const [trail, setTrail] = useState<(string | null)[]>([]);
  const page = useApi<Page<Merchant>>(withQuery('/v1/merchants', { after, limit: 50 }));
  const needle = filter.trim().toUpperCase();
  const items = (page.data?.items ?? []).filter(
    (m) => needle === '' || m.id.toUpperCase().includes(needle),
  );

  return (
    <div className="stack">
      <div className="page-header">
        <Typography.Title level={1} className="page-title">
          {t('merchants.title')}
        </Typography.Title>
      </div>
      <Card>
        <Form
          layout="inline"
          onFinish={({ id }: { id: string }) =>
            navigate(`/merchants/${encodeURIComponent(id.trim())}`)
          }
        >
          <Form.Item
            name="id"
            label={t('merchants.openById')}
            rules={[{ required: true, whitespace: true, message: t('form.required') }]}
          >
            <Input placeholder="M-00001" autoComplete="off" allowClear />
          </Form.Item>
          <Form.Item>
            <Button type="primary" htmlType="submit" icon={<SearchOutlined />}>
              {t('merchants.open')}
            </Button>
          </Form.Item>
        </Form>
      </Card>
      <Card title={<h2 className="card-title">{t('merchants.list')}</h2>}>
        <Input.Search
          className="gap-below filter-input"
          placeholder={t('merchants.filter')}
          aria-label={t('merchants.filter')}
          allowClear
          onChange={(event) => setFilter(event.target.value)}
        />
        {page.error !== null ? (
          <ErrorNotice error={page.error} onRetry={page.reload} />
        ) : (
          <Table<Merchant>
            size="small"
            rowKey="id"
            loading={page.loading}
            dataSource={items}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: <Nothing text={t('merchants.empty')} /> }}
            columns={[
              {
                title: t('col.merchant'),
                dataIndex: 'id',
                render: (id: string) => (
                  <Link to={`/merchants/${encodeURIComponent(id)}`}>{id}</Link>
                ),
              },
              {
                title: t('merchant.fxRating'),
                dataIndex: 'fxRating',
                render: (r: string) => <Tag>{r}</Tag>,
              },
              {
                title: t('merchants.ratingChanges'),
                key: 'changes',
                align: 'right',
                render: (_, m) => m.fxRatingChanges.length,
              },
              {
                title: t('merchant.riskFlags'),
                key: 'flags',
                render: (_, m) =>
                  m.riskFlags.length === 0 ? (
                    '—'
                  ) : (
                    <Space size={4}>
                      {m.riskFlags.some((f) => f.to === null) && (
                        <Tag color="red">{t('merchant.flagOpen')}</Tag>
                      )}
                      <span>{m.riskFlags.length}</span>
                    </Space>
                  ),
              },
            ]}
          />
        )}
        <div className="pager">
          <Button
            disabled={trail.length === 0}
            onClick={() => {
              setAfter(trail[trail.length - 1] ?? null);
              setTrail(trail.slice(0, -1));
            }}
          >
            {t('action.previous')}
          </Button>
          <Button
            disabled={!page.data?.next}
            onClick={() => {
              setTrail([...trail, after]);
              setAfter(page.data?.next ?? null);
            }}
          >
            {t('action.next')}
          </Button>
        </div>
      </Card>
    </div>
  );
}
