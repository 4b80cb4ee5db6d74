import { Button, Table, Tag, Tooltip } from 'antd';
import type { Fee, Page } from '../../api/types';
import { Amount } from '../../components/Amount';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Explain } from '../../components/Explain';
import { LevelTag } from '../../components/LevelTag';
import { Nothing } from '../../components/Loading';
import { Section } from '../../components/Section';
import { dateTime, money } from '../../format';
import { useI18n } from '../../i18n/i18n';
import { usePaged } from './paged';

function FeeStatus({ fee }: { readonly fee: Fee }) {
  const { t } = useI18n();
  if (fee.status === 'charged') return <Tag color="green">{t('fees.charged')}</Tag>;
  if (fee.status === 'reversed') {
    return <Tag color="orange">{t('fees.reversedAt', { at: dateTime(fee.reversedAt) })}</Tag>;
  }
  return (
    <Tooltip title={fee.error?.message}>
      <Tag color="red">{fee.error?.code ?? t('fees.error')}</Tag>
    </Tooltip>
  );
}

export function Fees({
  merchantId,
  first,
  at,
}: {
  readonly merchantId: string;
  readonly at: string;
  readonly first: Page<Fee>;
}) {
  const { t } = useI18n();
  const { items, next, loading, error, more } = usePaged(first, merchantId, 'fees', at);
  const explained = (fee: Fee, value: string | null, what: string) =>
    value === null ? (
      <Amount value={null} currency="CNY" />
    ) : (
      <Explain
        target={{ kind: 'fee', orderId: fee.orderId }}
        label={t('fees.feeOf', { order: fee.orderId, what, amount: money(value, 'CNY') })}
      >
        <Amount value={value} currency="CNY" />
      </Explain>
    );

  return (
    <Section title={t('fees.title')} extra={t('fees.hint')}>
      <Table<Fee>
        size="small"
        rowKey="orderId"
        dataSource={items}
        pagination={{ pageSize: 10, hideOnSinglePage: true, showSizeChanger: false }}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Nothing text={t('fees.empty')} /> }}
        columns={[
          { title: t('col.order'), dataIndex: 'orderId' },
          { title: t('col.type'), key: 'type', render: (_, fee) => `${fee.service} ${fee.type}` },
          {
            title: t('col.clearedAt'),
            dataIndex: 'clearedAt',
            render: (at: string) => dateTime(at),
          },
          {
            title: t('col.amountUsd'),
            dataIndex: 'amountUsd',
            align: 'right',
            render: (value: string) => <Amount value={value} currency="USD" />,
          },
          {
            title: t('col.level'),
            dataIndex: 'level',
            render: (level: string | null) => <LevelTag level={level} />,
          },
          {
            title: t('col.netCny'),
            dataIndex: 'netCny',
            align: 'right',
            render: (value: string | null, fee) => explained(fee, value, t('col.netCny')),
          },
          {
            title: t('col.vatCny'),
            dataIndex: 'vatCny',
            align: 'right',
            render: (value: string | null) => <Amount value={value} currency="CNY" />,
          },
          {
            title: t('col.grossCny'),
            dataIndex: 'grossCny',
            align: 'right',
            render: (value: string | null) => <Amount value={value} currency="CNY" />,
          },
          { title: t('col.status'), key: 'status', render: (_, fee) => <FeeStatus fee={fee} /> },
        ]}
      />
      {error !== null && <ErrorNotice error={error} onRetry={more} />}
      {next !== null && (
        <Button className="load-more" onClick={more} loading={loading}>
          {t('action.loadMore')}
        </Button>
      )}
    </Section>
  );
}
