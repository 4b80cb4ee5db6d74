import { Table } from 'antd';
import { path } from '../../api/client';
import type { Assessment } from '../../api/types';
import { Amount } from '../../components/Amount';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Explain } from '../../components/Explain';
import { LevelTag } from '../../components/LevelTag';
import { Loading, Nothing } from '../../components/Loading';
import { Section } from '../../components/Section';
import { dateTime } from '../../format';
import { useI18n } from '../../i18n/i18n';
import { useApi } from '../../use-api';

/** Every level the merchant was given, newest first, each explained on a click. */
export function MerchantAssessments({ merchantId }: { readonly merchantId: string }) {
  const { t } = useI18n();
  const { data, error, loading, reload } = useApi<{ items: Assessment[] }>(
    path('/v1/merchants', merchantId, 'assessments'),
  );
  return (
    <Section title={t('history.title')}>
      {loading && <Loading />}
      {error !== null && <ErrorNotice error={error} onRetry={reload} />}
      {data !== null && (
        <Table<Assessment>
          size="small"
          rowKey={(a) => `${a.service}:${a.quarter}`}
          dataSource={[...data.items].reverse()}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: <Nothing text={t('history.empty')} /> }}
          columns={[
            { title: t('col.service'), dataIndex: 'service' },
            { title: t('col.quarter'), dataIndex: 'quarter' },
            {
              title: t('col.amountUsd'),
              dataIndex: 'amountUsd',
              align: 'right',
              render: (value: string) => <Amount value={value} currency="USD" />,
            },
            { title: t('col.orders'), dataIndex: 'orderCount', align: 'right' },
            {
              title: t('col.level'),
              dataIndex: 'level',
              render: (level: string, a) => (
                <Explain
                  target={{ kind: 'level', merchantId, quarter: a.quarter, service: a.service }}
                  label={t('bench.levelOf', { service: a.service, level })}
                >
                  <LevelTag level={level} />
                </Explain>
              ),
            },
            {
              title: t('col.effectiveFrom'),
              dataIndex: 'effectiveFrom',
              render: (at: string) => dateTime(at),
            },
            { title: t('col.rulebook'), dataIndex: 'rulebook' },
          ]}
        />
      )}
    </Section>
  );
}
