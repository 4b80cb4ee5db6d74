import { Card, Col, Descriptions, Progress, Row, Statistic, Table, Tag, Typography } from 'antd';
import type { ServiceStanding, ThisQuarter } from '../../api/types';
import { Amount } from '../../components/Amount';
import { Explain } from '../../components/Explain';
import { LevelTag } from '../../components/LevelTag';
import { Nothing } from '../../components/Loading';
import { dateTime, money, percent, share } from '../../format';
import { useI18n } from '../../i18n/i18n';

function useReason() {
  const { tr } = useI18n();
  return (reason: string | null) => tr(`reason.${reason ?? 'none'}`, reason ?? '');
}

function FeeBenefitText({ standing }: { readonly standing: ServiceStanding }) {
  const { t, tr } = useI18n();
  const fee = standing.benefits.fee;
  if (fee === null) return <span>{t('bench.fee.none')}</span>;
  const band =
    fee.band === 'level'
      ? t('bench.fee.band.level', { level: standing.level })
      : tr(`bench.fee.band.${fee.band}`, fee.band);
  return (
    <div className="benefit">
      <div>
        <strong>
          {t('bench.fee.rate', { base: percent(fee.baseRate), discount: percent(fee.discount) })}
        </strong>{' '}
        <Tag>{band}</Tag>
        {fee.ruleType === 'monthly-order-count' && (
          <Tag color="orange">{t('bench.fee.monthly')}</Tag>
        )}
      </div>
      <div data-testid={`fee-caps-${standing.service}`}>
        {t('bench.fee.caps', {
          min: money(fee.minNetCny, 'CNY'),
          max: money(fee.maxNetCny, 'CNY'),
        })}
      </div>
      <Typography.Text type="secondary">
        {t('bench.fee.vat', {
          vat: percent(fee.vatRate),
          min: money(fee.minGrossCny, 'CNY'),
          max: money(fee.maxGrossCny, 'CNY'),
          maxNet: money(fee.maxNetCny, 'CNY'),
        })}
      </Typography.Text>
    </div>
  );
}

function LevelCard({
  merchantId,
  standing,
}: {
  readonly merchantId: string;
  readonly standing: ServiceStanding;
}) {
  const { t } = useI18n();
  const reason = useReason();
  const { fx, jumpRebate } = standing.benefits;
  const levelText = (
    <span className="level-big" data-testid={`level-${standing.service}`}>
      {standing.level}
    </span>
  );
  return (
    <Card
      title={t('bench.levelTitle', { service: standing.service })}
      className="level-card"
      extra={<LevelTag level={standing.level} />}
    >
      <div className="level-head">
        {standing.assessedQuarter !== null ? (
          <Explain
            target={{
              kind: 'level',
              merchantId,
              quarter: standing.assessedQuarter,
              service: standing.service,
            }}
            label={t('bench.levelOf', { service: standing.service, level: standing.level })}
          >
            {levelText}
          </Explain>
        ) : (
          levelText
        )}
        <Typography.Text type="secondary">
          {standing.levelSince === null
            ? t('bench.levelNever')
            : t('bench.levelSince', {
                since: dateTime(standing.levelSince),
                quarter: standing.assessedQuarter ?? '—',
              })}
        </Typography.Text>
      </div>
      <Descriptions column={1} size="small" className="benefits">
        <Descriptions.Item label={t('bench.benefit.fee')}>
          <FeeBenefitText standing={standing} />
        </Descriptions.Item>
        <Descriptions.Item label={t('bench.benefit.fx')}>
          {fx.eligible ? (
            <span data-testid={`fx-${standing.service}`}>
              {t('bench.fx.pips', { pips: fx.pips })}
            </span>
          ) : (
            <span data-testid={`fx-${standing.service}`}>
              {t('bench.fx.none', { reason: reason(fx.reason) })}
            </span>
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('bench.benefit.rebate')}>
          {jumpRebate.pays
            ? t('bench.rebate.pays', { rate: money(jumpRebate.cnyPerUsd, 'CNY') })
            : t('bench.rebate.none', { reason: reason(jumpRebate.reason) })}
        </Descriptions.Item>
      </Descriptions>
    </Card>
  );
}

function QuarterCard({
  service,
  quarter,
}: {
  readonly service: string;
  readonly quarter: ThisQuarter;
}) {
  const { t } = useI18n();
  const progress =
    quarter.nextLevelThresholdUsd === null
      ? 100
      : share(quarter.clearedAmountUsd, quarter.nextLevelThresholdUsd);
  const gapText =
    quarter.nextLevel === null || quarter.gapUsd === null || quarter.nextLevelThresholdUsd === null
      ? t('bench.quarter.top')
      : t('bench.quarter.gap', {
          gap: money(quarter.gapUsd, 'USD'),
          level: quarter.nextLevel,
          threshold: money(quarter.nextLevelThresholdUsd, 'USD'),
        });

  return (
    <Card
      title={t('bench.quarter.title', { service, quarter: quarter.quarter })}
      className="quarter-card"
    >
      <Row gutter={[16, 16]}>
        <Col xs={24} sm={12}>
          <Statistic
            title={t('bench.quarter.cleared', { count: quarter.orderCount })}
            value={money(quarter.clearedAmountUsd, 'USD')}
            valueStyle={{ fontVariantNumeric: 'tabular-nums' }}
          />
          <span className="sr-only" data-testid={`cleared-${service}`}>
            {quarter.clearedAmountUsd}
          </span>
        </Col>
        <Col xs={24} sm={12}>
          <Statistic
            title={t('bench.quarter.reaches')}
            valueRender={() => <LevelTag level={quarter.reachesLevel} />}
          />
          <Typography.Text type="secondary">
            {quarter.assessedAt === null
              ? t('bench.quarter.notAssessed')
              : t('bench.quarter.assessedAt', { at: dateTime(quarter.assessedAt) })}
          </Typography.Text>
        </Col>
      </Row>
      <div
        className="gap-progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={progress}
        aria-valuetext={gapText}
        aria-label={t('bench.quarter.progress')}
      >
        <Progress percent={progress} showInfo={false} status="active" aria-hidden="true" />
        <div data-testid={`gap-${service}`} className="gap-text">
          {gapText}
        </div>
        {quarter.gapUsd !== null && (
          <span className="sr-only" data-testid={`gap-raw-${service}`}>
            {quarter.gapUsd}
          </span>
        )}
      </div>
      <Typography.Paragraph type="secondary">
        {quarter.previousQuarterAmountUsd === null
          ? t('bench.quarter.heldNoAmount', { level: quarter.heldLevel })
          : t('bench.quarter.held', {
              level: quarter.heldLevel,
              amount: money(quarter.previousQuarterAmountUsd, 'USD'),
            })}
      </Typography.Paragraph>
      <Typography.Title level={4}>{t('bench.jumps.title')}</Typography.Title>
      <Table
        size="small"
        rowKey="level"
        pagination={false}
        dataSource={quarter.jumps}
        locale={{ emptyText: <Nothing text={t('bench.jumps.empty')} /> }}
        columns={[
          {
            title: t('col.level'),
            dataIndex: 'level',
            render: (level: string) => <LevelTag level={level} />,
          },
          {
            title: t('col.thresholdUsd'),
            dataIndex: 'thresholdUsd',
            align: 'right',
            render: (value: string) => <Amount value={value} currency="USD" />,
          },
          {
            title: t('col.rebateCny'),
            dataIndex: 'rebateCny',
            align: 'right',
            render: (value: string) => <Amount value={value} currency="CNY" />,
          },
        ]}
      />
    </Card>
  );
}

export function Standing({
  merchantId,
  services,
}: {
  readonly merchantId: string;
  readonly services: readonly ServiceStanding[];
}) {
  const { t } = useI18n();
  if (services.length === 0) return <Nothing text={t('bench.noService')} />;
  return (
    <Row gutter={[16, 16]}>
      {services.map((standing) => (
        <Col xs={24} key={standing.service}>
          <Row gutter={[16, 16]}>
            <Col xs={24} lg={12}>
              <LevelCard merchantId={merchantId} standing={standing} />
            </Col>
            <Col xs={24} lg={12}>
              {standing.thisQuarter === null ? (
                <Card title={t('bench.quarter.none')}>
                  <Nothing text={t('bench.quarter.noneText')} />
                </Card>
              ) : (
                <QuarterCard service={standing.service} quarter={standing.thisQuarter} />
              )}
            </Col>
          </Row>
        </Col>
      ))}
    </Row>
  );
}
