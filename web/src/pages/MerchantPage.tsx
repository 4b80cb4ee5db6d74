import { ReloadOutlined } from '@ant-design/icons';
import { Button, Card, DatePicker, Space, Tabs, Tag, Typography } from 'antd';
import dayjs from 'dayjs';
import { path, withQuery } from '../api/client';
import type { Workbench } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Loading } from '../components/Loading';
import { dateTime, todayInShanghai } from '../format';
import { useI18n } from '../i18n/i18n';
import { navigate, useLocation } from '../router';
import { useApi } from '../use-api';
import { MerchantAssessments } from './workbench/Assessments';
import { Coupons } from './workbench/Coupons';
import { Fees } from './workbench/Fees';
import { Invoice } from './workbench/Invoice';
import { RiskAndRating } from './workbench/RiskAndRating';
import { Settlements } from './workbench/Settlements';
import { Standing } from './workbench/Standing';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The export workbench (SPEC §10) of one merchant. A merchant sees its own;
 * an operator sees any, with the risk flags and FX rating to edit. `?at=DAY`
 * shows the workbench as it stood at the end of that Shanghai day.
 */
export function MerchantPage({
  merchantId,
  operator,
}: {
  readonly merchantId: string;
  readonly operator: boolean;
}) {
  const { t } = useI18n();
  const { pathname, search } = useLocation();
  const asOf = search.get('at');
  const day = asOf !== null && DAY.test(asOf) ? asOf : null;
  const at = day === null ? undefined : `${day}T23:59:59+08:00`;
  const bench = useApi<Workbench>(
    withQuery(path('/v1/merchants', merchantId, 'workbench'), { at }),
  );

  const pickDay = (value: string | null) =>
    navigate(value === null ? pathname : `${pathname}?at=${value}`, { replace: true });

  const header = (
    <div className="page-header">
      <div>
        <Typography.Title level={1} className="page-title">
          {operator ? t('merchant.title', { id: merchantId }) : t('bench.title')}
        </Typography.Title>
        {bench.data !== null && (
          <Space wrap size="small">
            {!operator && <Tag>{merchantId}</Tag>}
            <Tag color={bench.data.fxRating === 'A' ? 'green' : 'default'}>
              {t('bench.fxRating', { rating: bench.data.fxRating })}
            </Tag>
            {bench.data.riskFlagged ? (
              <Tag color="red" data-testid="risk-flag">
                {t('bench.riskFlagged')}
              </Tag>
            ) : (
              <Tag color="blue">{t('bench.noRisk')}</Tag>
            )}
            <Typography.Text type="secondary">
              {t('bench.asOf', { at: dateTime(bench.data.at) })}
            </Typography.Text>
          </Space>
        )}
      </div>
      <Space wrap>
        <label className="inline-label" htmlFor="as-of">
          {t('bench.viewAsOf')}
        </label>
        <DatePicker
          id="as-of"
          value={day === null ? null : dayjs(day)}
          placeholder={todayInShanghai()}
          onChange={(value) => pickDay(value === null ? null : value.format('YYYY-MM-DD'))}
        />
        <Button icon={<ReloadOutlined />} onClick={bench.reload} aria-label={t('action.reload')} />
      </Space>
    </div>
  );

  if (bench.loading && bench.data === null) {
    return (
      <>
        {header}
        <Loading rows={8} />
      </>
    );
  }
  if (bench.error !== null || bench.data === null) {
    return (
      <>
        {header}
        <ErrorNotice error={bench.error} onRetry={bench.reload} />
      </>
    );
  }
  const data = bench.data;
  return (
    <div className="stack">
      {header}
      {data.riskFlagged && (
        <div className="risk-banner" role="note">
          {t('bench.riskBanner')}
        </div>
      )}
      <section aria-label={t('bench.levelsSection')}>
        <Standing merchantId={merchantId} services={data.services} />
      </section>
      <Card className="bench-tabs">
        <Tabs
          items={[
            {
              key: 'coupons',
              label: t('coupons.title'),
              children: (
                <Coupons
                  merchantId={merchantId}
                  balanceCny={data.coupons.balanceCny}
                  items={data.coupons.items}
                />
              ),
            },
            {
              key: 'fees',
              label: t('fees.title'),
              children: <Fees merchantId={merchantId} first={data.fees} at={data.at} />,
            },
            {
              key: 'settlements',
              label: t('settlements.title'),
              children: (
                <Settlements merchantId={merchantId} first={data.settlements} at={data.at} />
              ),
            },
            {
              key: 'invoice',
              label: t('invoice.title'),
              children: <Invoice merchantId={merchantId} day={day ?? todayInShanghai()} />,
            },
            {
              key: 'history',
              label: t('history.title'),
              children: <MerchantAssessments merchantId={merchantId} />,
            },
            ...(operator
              ? [
                  {
                    key: 'risk',
                    label: t('merchant.riskTab'),
                    children: <RiskAndRating merchantId={merchantId} onChanged={bench.reload} />,
                  },
                ]
              : []),
          ]}
        />
      </Card>
    </div>
  );
}
