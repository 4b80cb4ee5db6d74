import { Statistic, Table, Tag, Typography } from 'antd';
import type { Coupon, CouponUse } from '../../api/types';
import { Amount } from '../../components/Amount';
import { Explain } from '../../components/Explain';
import { Nothing } from '../../components/Loading';
import { Section } from '../../components/Section';
import { dateTime, money } from '../../format';
import { useI18n } from '../../i18n/i18n';

function Uses({ uses }: { readonly uses: readonly CouponUse[] }) {
  const { t } = useI18n();
  return (
    <Table<CouponUse>
      size="small"
      rowKey={(use) => `${use.chargeId}:${use.at}`}
      pagination={false}
      dataSource={[...uses]}
      locale={{ emptyText: <Nothing text={t('coupons.noUses')} /> }}
      columns={[
        { title: t('col.charge'), dataIndex: 'chargeId' },
        { title: t('col.order'), dataIndex: 'orderId' },
        { title: t('col.at'), dataIndex: 'at', render: (at: string) => dateTime(at) },
        {
          title: t('col.amountCny'),
          dataIndex: 'amountCny',
          align: 'right',
          render: (value: string) => <Amount value={value} currency="CNY" />,
        },
        {
          title: t('col.status'),
          key: 'status',
          render: (_, use) =>
            use.forfeited ? (
              <Tag color="red">
                {use.forfeitedAt === null
                  ? t('coupons.forfeited')
                  : t('coupons.forfeitedAt', { at: dateTime(use.forfeitedAt) })}
              </Tag>
            ) : (
              <Tag color="green">{t('coupons.used')}</Tag>
            ),
        },
      ]}
    />
  );
}

export function Coupons({
  merchantId,
  balanceCny,
  items,
}: {
  readonly merchantId: string;
  readonly balanceCny: string;
  readonly items: readonly Coupon[];
}) {
  const { t } = useI18n();
  return (
    <Section title={t('coupons.title')}>
      <div className="coupon-balance">
        <Statistic
          title={t('coupons.balance')}
          value={money(balanceCny, 'CNY')}
          valueStyle={{ fontVariantNumeric: 'tabular-nums' }}
        />
        <span className="sr-only" data-testid="coupon-balance">
          {balanceCny}
        </span>
        <Typography.Text type="secondary">{t('coupons.rule')}</Typography.Text>
      </div>
      <Table<Coupon>
        size="small"
        rowKey="id"
        dataSource={[...items]}
        pagination={items.length > 10 ? { pageSize: 10 } : false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Nothing text={t('coupons.empty')} /> }}
        expandable={{
          expandedRowRender: (coupon) => <Uses uses={coupon.uses} />,
          rowExpandable: (coupon) => coupon.uses.length > 0,
        }}
        columns={[
          { title: t('col.coupon'), dataIndex: 'id' },
          {
            title: t('col.fromJump'),
            key: 'quarter',
            render: (_, c) => `${c.service} ${c.quarter}`,
          },
          {
            title: t('col.faceCny'),
            dataIndex: 'faceCny',
            align: 'right',
            render: (value: string, c) => (
              <Explain
                target={{ kind: 'rebate', merchantId, quarter: c.quarter, service: c.service }}
                label={t('coupons.rebateOf', { quarter: c.quarter, amount: money(value, 'CNY') })}
              >
                <Amount value={value} currency="CNY" />
              </Explain>
            ),
          },
          {
            title: t('col.remainingCny'),
            dataIndex: 'remainingCny',
            align: 'right',
            render: (value: string) => <Amount value={value} currency="CNY" />,
          },
          { title: t('col.issuedAt'), dataIndex: 'issuedAt', render: (at: string) => dateTime(at) },
          {
            title: t('col.expiresAt'),
            dataIndex: 'expiresAt',
            render: (at: string | null) => (at === null ? t('coupons.noExpiry') : dateTime(at)),
          },
          {
            title: t('col.uses'),
            key: 'uses',
            align: 'right',
            render: (_, c) => {
              const forfeits = c.uses.filter((use) => use.forfeited).length;
              return forfeits > 0
                ? t('coupons.usesWithForfeits', { uses: c.uses.length, forfeits })
                : String(c.uses.length);
            },
          },
        ]}
      />
    </Section>
  );
}
