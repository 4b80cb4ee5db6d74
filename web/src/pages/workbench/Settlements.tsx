import { Button, Table, Tag } from 'antd';
import type { Page, Settlement } from '../../api/types';
import { Amount } from '../../components/Amount';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Explain } from '../../components/Explain';
import { LevelTag } from '../../components/LevelTag';
import { Nothing } from '../../components/Loading';
import { Section } from '../../components/Section';
import { dateTime, groupDecimal, money } from '../../format';
import { useI18n } from '../../i18n/i18n';
import { usePaged } from './paged';

export function Settlements({
  merchantId,
  first,
  at,
}: {
  readonly merchantId: string;
  readonly at: string;
  readonly first: Page<Settlement>;
}) {
  const { t, tr } = useI18n();
  const { items, next, loading, error, more } = usePaged(first, merchantId, 'settlements', at);

  return (
    <Section title={t('settlements.title')}>
      <Table<Settlement>
        size="small"
        rowKey="id"
        dataSource={items}
        pagination={{ pageSize: 10, hideOnSinglePage: true, showSizeChanger: false }}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Nothing text={t('settlements.empty')} /> }}
        columns={[
          { title: t('col.settlement'), dataIndex: 'id' },
          { title: t('col.at'), dataIndex: 'at', render: (at: string) => dateTime(at) },
          {
            title: t('col.amount'),
            key: 'amount',
            align: 'right',
            render: (_, s) =>
              s.currency === 'USD' ? (
                <Amount value={s.amount} currency="USD" />
              ) : (
                <span className="amount">{`${groupDecimal(s.amount)} ${s.currency}`}</span>
              ),
          },
          {
            title: t('col.account'),
            dataIndex: 'account',
            render: (a: string) => tr(`account.${a}`, a),
          },
          {
            title: t('col.baseRate'),
            dataIndex: 'baseRate',
            align: 'right',
            render: (r: string) => <span className="amount">{r}</span>,
          },
          {
            title: t('col.level'),
            key: 'level',
            render: (_, s) => <LevelTag level={s.result?.level ?? null} />,
          },
          {
            title: t('col.pips'),
            key: 'pips',
            align: 'right',
            render: (_, s) => (s.result === null ? '—' : `+${s.result.pips}`),
          },
          {
            title: t('col.effectiveRate'),
            key: 'effectiveRate',
            align: 'right',
            render: (_, s) => <span className="amount">{s.result?.effectiveRate ?? '—'}</span>,
          },
          {
            title: t('col.subsidyCny'),
            key: 'subsidy',
            align: 'right',
            render: (_, s) =>
              s.result === null ? (
                <Tag>{t('settlements.pending')}</Tag>
              ) : (
                <Explain
                  target={{ kind: 'subsidy', settlementId: s.id }}
                  label={t('settlements.subsidyOf', {
                    id: s.id,
                    amount: money(s.result.subsidyCny, 'CNY'),
                  })}
                >
                  <Amount value={s.result.subsidyCny} currency="CNY" />
                </Explain>
              ),
          },
          {
            title: t('col.reason'),
            key: 'reason',
            render: (_, s) =>
              s.result === null || s.result.reason === null
                ? '—'
                : tr(`reason.${s.result.reason}`, s.result.reason),
          },
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
