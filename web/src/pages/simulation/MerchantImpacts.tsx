import { Button, Card, Drawer, Space, Switch, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type {
  MerchantImpact,
  SimulationFigures,
  SimulationResult,
} from '../../api/simulation-types';
import { Amount } from '../../components/Amount';
import { LevelTag } from '../../components/LevelTag';
import { Nothing } from '../../components/Loading';
import { type MessageKey, useI18n } from '../../i18n/i18n';
import { Link } from '../../router';
import { absDecimal, compareDecimal, isZeroDecimal, subtractDecimal } from './draft';

const FIGURES: readonly { key: keyof SimulationFigures; label: MessageKey }[] = [
  { key: 'feesNetCny', label: 'sim.figure.feesNetCny' },
  { key: 'standardFeesNetCny', label: 'sim.figure.standardFeesNetCny' },
  { key: 'rebatesCny', label: 'sim.figure.rebatesCny' },
  { key: 'subsidiesCny', label: 'sim.figure.subsidiesCny' },
  { key: 'couponsOutstandingCny', label: 'sim.figure.couponsOutstandingCny' },
];

/**
 * A difference with its sign. Coloured only where its direction is plain: a
 * merchant's net impact, green when it would pay less, red when more.
 */
export function Difference({
  value,
  colored = false,
}: {
  readonly value: string;
  readonly colored?: boolean;
}) {
  if (isZeroDecimal(value)) return <Amount value={value} currency="CNY" />;
  const sign = value.startsWith('-') ? '' : '+';
  if (!colored) {
    return (
      <span>
        {sign}
        <Amount value={value} currency="CNY" />
      </span>
    );
  }
  return (
    <Typography.Text type={value.startsWith('-') ? 'success' : 'danger'}>
      {sign}
      <Amount value={value} currency="CNY" />
    </Typography.Text>
  );
}

/** One merchant, base beside draft: its figures, its levels, and why each moved level moved. */
export function SideBySide({
  result,
  merchantId,
  onClose,
}: {
  readonly result: SimulationResult;
  readonly merchantId: string | null;
  readonly onClose: () => void;
}) {
  const { t, lang } = useI18n();
  const merchant = result.merchants.find((m) => m.merchantId === merchantId) ?? null;
  const moves = result.moves.filter((m) => m.merchantId === merchantId);
  const why = (e: { en: string; zh: string } | null) =>
    e === null ? '—' : lang === 'en' ? e.en : e.zh;

  return (
    <Drawer
      open={merchantId !== null}
      onClose={onClose}
      size="large"
      title={merchantId === null ? '' : t('sim.sideBySide', { id: merchantId })}
    >
      {merchant === null ? (
        <Nothing text={t('sim.noMerchant')} />
      ) : (
        <div className="stack" data-testid="sim-side-by-side">
          <Table
            size="small"
            rowKey="key"
            pagination={false}
            dataSource={FIGURES.map((f) => ({
              key: f.key,
              label: t(f.label),
              base: merchant.base[f.key],
              draft: merchant.draft[f.key],
              difference: subtractDecimal(merchant.draft[f.key], merchant.base[f.key]),
            }))}
            columns={[
              { title: '', dataIndex: 'label' },
              {
                title: t('sim.base'),
                dataIndex: 'base',
                align: 'right',
                render: (v: string) => <Amount value={v} currency="CNY" />,
              },
              {
                title: t('sim.draft'),
                dataIndex: 'draft',
                align: 'right',
                render: (v: string) => <Amount value={v} currency="CNY" />,
              },
              {
                title: t('sim.difference'),
                dataIndex: 'difference',
                align: 'right',
                render: (v: string) => <Difference value={v} />,
              },
            ]}
          />
          <Typography.Paragraph>
            {t('sim.netImpact')}: <Difference value={merchant.netImpactCny} colored />
          </Typography.Paragraph>
          <h3 className="card-title">{t('sim.levelsTitle')}</h3>
          <Table
            size="small"
            rowKey={(l) => `${l.service}|${l.quarter}`}
            pagination={false}
            dataSource={[...merchant.levels]}
            columns={[
              { title: t('col.service'), dataIndex: 'service' },
              { title: t('col.quarter'), dataIndex: 'quarter' },
              {
                title: t('sim.base'),
                dataIndex: 'base',
                render: (l: string | null) => <LevelTag level={l} />,
              },
              {
                title: t('sim.draft'),
                dataIndex: 'draft',
                render: (l: string | null, row) => (
                  <Space size={4}>
                    <LevelTag level={l} />
                    {l !== row.base && <Tag color="orange">{t('sim.moved')}</Tag>}
                  </Space>
                ),
              },
            ]}
          />
          {moves.map((m) => (
            <section key={`${m.service}|${m.quarter}`} aria-label={`${m.service} ${m.quarter}`}>
              <h3 className="card-title">
                {t('sim.moveTitle', {
                  service: m.service,
                  quarter: m.quarter,
                  from: m.baseLevel ?? '—',
                  to: m.draftLevel ?? '—',
                })}
              </h3>
              <Typography.Paragraph>
                <Typography.Text strong>{t('sim.base')}:</Typography.Text> {why(m.base)}
              </Typography.Paragraph>
              <Typography.Paragraph data-testid="sim-why-draft">
                <Typography.Text strong>{t('sim.draft')}:</Typography.Text> {why(m.draft)}
              </Typography.Paragraph>
            </section>
          ))}
          <Link to={`/merchants/${encodeURIComponent(merchant.merchantId)}`}>
            {t('sim.openWorkbench')}
          </Link>
        </div>
      )}
    </Drawer>
  );
}

/** Every merchant's figures under both rulebooks, sortable by impact. */
export function MerchantImpacts({
  result,
  onOpenMerchant,
}: {
  readonly result: SimulationResult;
  readonly onOpenMerchant: (merchantId: string) => void;
}) {
  const { t } = useI18n();
  const [affectedOnly, setAffectedOnly] = useState(true);
  const rows = affectedOnly
    ? result.merchants.filter(
        (m) =>
          !isZeroDecimal(m.netImpactCny) ||
          m.levels.some((l) => l.base !== l.draft) ||
          FIGURES.some((f) => m.base[f.key] !== m.draft[f.key]),
      )
    : result.merchants;
  const money = (v: string) => <Amount value={v} currency="CNY" />;

  return (
    <Card
      title={<h2 className="card-title">{t('sim.merchantsTitle')}</h2>}
      extra={
        <Space>
          <Switch
            checked={affectedOnly}
            onChange={setAffectedOnly}
            aria-label={t('sim.affectedOnly')}
          />
          <span>{t('sim.affectedOnly')}</span>
        </Space>
      }
    >
      <Typography.Paragraph type="secondary">{t('sim.impactNote')}</Typography.Paragraph>
      <Table<MerchantImpact>
        size="small"
        rowKey="merchantId"
        dataSource={rows}
        data-testid="sim-merchants"
        pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false }}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Nothing text={t('sim.noImpact')} /> }}
        columns={[
          {
            title: t('col.merchant'),
            dataIndex: 'merchantId',
            render: (id: string) => (
              <Button type="link" size="small" onClick={() => onOpenMerchant(id)}>
                {id}
              </Button>
            ),
          },
          {
            title: t('sim.feesBase'),
            key: 'feesBase',
            align: 'right',
            render: (_, m) => money(m.base.feesNetCny),
          },
          {
            title: t('sim.feesDraft'),
            key: 'feesDraft',
            align: 'right',
            render: (_, m) => money(m.draft.feesNetCny),
          },
          {
            title: t('sim.rebatesBase'),
            key: 'rebatesBase',
            align: 'right',
            render: (_, m) => money(m.base.rebatesCny),
          },
          {
            title: t('sim.rebatesDraft'),
            key: 'rebatesDraft',
            align: 'right',
            render: (_, m) => money(m.draft.rebatesCny),
          },
          {
            title: t('sim.subsidiesBase'),
            key: 'subsidiesBase',
            align: 'right',
            render: (_, m) => money(m.base.subsidiesCny),
          },
          {
            title: t('sim.subsidiesDraft'),
            key: 'subsidiesDraft',
            align: 'right',
            render: (_, m) => money(m.draft.subsidiesCny),
          },
          {
            title: t('sim.netImpact'),
            dataIndex: 'netImpactCny',
            align: 'right',
            sorter: (a, b) => compareDecimal(a.netImpactCny, b.netImpactCny),
            sortDirections: ['ascend', 'descend'],
            render: (v: string) => <Difference value={v} colored />,
          },
          {
            title: t('sim.impactSize'),
            key: 'size',
            align: 'right',
            defaultSortOrder: 'descend',
            sorter: (a, b) =>
              compareDecimal(absDecimal(a.netImpactCny), absDecimal(b.netImpactCny)) ||
              b.merchantId.localeCompare(a.merchantId),
            sortDirections: ['descend', 'ascend'],
            render: (_, m) => money(absDecimal(m.netImpactCny)),
          },
        ]}
      />
    </Card>
  );
}
