import { Button, Descriptions, Modal, Typography } from 'antd';
import { type ReactNode, useState } from 'react';
import { path, withQuery } from '../api/client';
import type { Explanation } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { useApi } from '../use-api';
import { ErrorNotice } from './ErrorNotice';
import { Loading } from './Loading';

export type ExplainTarget =
  | { readonly kind: 'fee'; readonly orderId: string }
  | { readonly kind: 'subsidy'; readonly settlementId: string }
  | {
      readonly kind: 'rebate' | 'level';
      readonly merchantId: string;
      readonly quarter: string;
      readonly service: string;
    };

export function explainUrl(target: ExplainTarget, lang: string): string {
  switch (target.kind) {
    case 'fee':
      return withQuery(path('/v1/explain/fee', target.orderId), { lang });
    case 'subsidy':
      return withQuery(path('/v1/explain/subsidy', target.settlementId), { lang });
    default:
      return withQuery(path(`/v1/explain/${target.kind}`, target.merchantId, target.quarter), {
        service: target.service,
        lang,
      });
  }
}

function inputText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The explanation of one amount: its sentence in the UI language, then its inputs. */
export function ExplanationView({ target }: { readonly target: ExplainTarget }) {
  const { t, lang } = useI18n();
  const { data, error, loading, reload } = useApi<Explanation>(explainUrl(target, lang));
  if (loading) return <Loading rows={2} />;
  if (error !== null) return <ErrorNotice error={error} onRetry={reload} />;
  if (data === null) return null;
  return (
    <div className="explanation">
      <Typography.Paragraph className="explanation-sentence" data-testid="explanation">
        {data.sentence}
      </Typography.Paragraph>
      <Descriptions size="small" column={1} bordered title={t('explain.inputs')}>
        <Descriptions.Item label={t('explain.rulebook')}>{data.rulebook}</Descriptions.Item>
        {Object.entries(data.inputs).map(([name, value]) => (
          <Descriptions.Item key={name} label={name}>
            <code>{inputText(value)}</code>
          </Descriptions.Item>
        ))}
      </Descriptions>
    </div>
  );
}

/**
 * An amount that opens its explanation in a dialog: a real button, so it is
 * reached by Tab and opened by Enter, and named for screen readers.
 */
export function Explain({
  target,
  children,
  label,
}: {
  readonly target: ExplainTarget;
  readonly children: ReactNode;
  readonly label: string;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        type="link"
        size="small"
        className="explain-link"
        aria-haspopup="dialog"
        aria-label={t('explain.open', { what: label })}
        title={t('explain.hint')}
        onClick={() => setOpen(true)}
      >
        {children}
      </Button>
      <Modal
        open={open}
        title={t('explain.title', { what: label })}
        onCancel={() => setOpen(false)}
        footer={<Button onClick={() => setOpen(false)}>{t('action.close')}</Button>}
        destroyOnHidden
      >
        {open && <ExplanationView target={target} />}
      </Modal>
    </>
  );
}
