import { Button, Card, Form, Input, Select, Typography } from 'antd';
import { useState } from 'react';
import { type ExplainTarget, ExplanationView } from '../components/Explain';
import { useI18n } from '../i18n/i18n';

type Kind = ExplainTarget['kind'];

interface Values {
  readonly kind: Kind;
  readonly id: string;
  readonly quarter?: string;
  readonly service?: string;
}

function targetOf(values: Values): ExplainTarget {
  const id = values.id.trim();
  switch (values.kind) {
    case 'fee':
      return { kind: 'fee', orderId: id };
    case 'subsidy':
      return { kind: 'subsidy', settlementId: id };
    default:
      return {
        kind: values.kind,
        merchantId: id,
        quarter: (values.quarter ?? '').trim(),
        service: values.service ?? '3+N',
      };
  }
}

/** Explain any amount: the operator names it, the server says how it was computed. */
export function ExplainPage() {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const kind = Form.useWatch('kind', form) ?? 'fee';
  const [target, setTarget] = useState<ExplainTarget | null>(null);
  const idLabel =
    kind === 'fee'
      ? t('explainPage.orderId')
      : kind === 'subsidy'
        ? t('explainPage.settlementId')
        : t('explainPage.merchantId');

  return (
    <div className="stack">
      <div className="page-header">
        <Typography.Title level={1} className="page-title">
          {t('explainPage.title')}
        </Typography.Title>
      </div>
      <Card>
        <Typography.Paragraph type="secondary">{t('explainPage.intro')}</Typography.Paragraph>
        <Form<Values>
          form={form}
          layout="inline"
          initialValues={{ kind: 'fee', service: '3+N' }}
          onFinish={(v) => setTarget(targetOf(v))}
        >
          <Form.Item name="kind" label={t('explainPage.kind')}>
            <Select
              className="kind-select"
              options={(['fee', 'subsidy', 'rebate', 'level'] as const).map((k) => ({
                value: k,
                label: t(`explainPage.kind.${k}`),
              }))}
            />
          </Form.Item>
          <Form.Item
            name="id"
            label={idLabel}
            rules={[{ required: true, whitespace: true, message: t('form.required') }]}
          >
            <Input
              autoComplete="off"
              placeholder={
                kind === 'fee' ? 'O-0000001' : kind === 'subsidy' ? 'S-0000001' : 'M-00001'
              }
            />
          </Form.Item>
          {(kind === 'rebate' || kind === 'level') && (
            <>
              <Form.Item
                name="quarter"
                label={t('col.quarter')}
                rules={[
                  {
                    required: true,
                    pattern: /^\d{4}-Q[1-4]$/,
                    message: t('explainPage.quarterFormat'),
                  },
                ]}
              >
                <Input placeholder="2024-Q2" autoComplete="off" />
              </Form.Item>
              <Form.Item name="service" label={t('col.service')}>
                <Select
                  className="service-select"
                  options={[
                    { value: '3+N', label: '3+N' },
                    { value: '2+N', label: '2+N' },
                  ]}
                />
              </Form.Item>
            </>
          )}
          <Form.Item>
            <Button type="primary" htmlType="submit">
              {t('explainPage.submit')}
            </Button>
          </Form.Item>
        </Form>
      </Card>
      {target !== null && (
        <Card title={<h2 className="card-title">{t('explainPage.result')}</h2>}>
          <ExplanationView target={target} key={JSON.stringify(target)} />
        </Card>
      )}
    </div>
  );
}
