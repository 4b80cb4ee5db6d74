import { KeyOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { ApiError, api, path, type Session, withQuery } from '../api/client';
import type { Me } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { useI18n } from '../i18n/i18n';

interface Values {
  readonly token: string;
  readonly merchantId?: string;
}

/**
 * Who a token belongs to is the server's answer, never the user's claim:
 * `GET /v1/me` names the role and merchant. Against a server without that
 * route the app probes an operator-only list, and a merchant token then
 * needs its merchant id, which the merchant's own workbench confirms.
 */
async function identify(
  token: string,
  merchantId: string | undefined,
): Promise<Session | 'needs-id'> {
  try {
    const me = await api<Me>('/v1/me', { token });
    return { token, role: me.role, merchantId: me.merchantId };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }

  try {
    await api(withQuery('/v1/merchants', { limit: 1 }), { token });
    return { token, role: 'operator', merchantId: null };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 403) throw err;
  }

  const id = merchantId?.trim() ?? '';
  if (id === '') return 'needs-id';
  await api(path('/v1/merchants', id, 'workbench'), { token });
  return { token, role: 'merchant', merchantId: id };
}

export function SignIn({
  onSignIn,
  expired,
}: {
  readonly onSignIn: (session: Session) => void;
  readonly expired: boolean;
}) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [needsId, setNeedsId] = useState(false);

  const submit = async (values: Values) => {
    setBusy(true);
    setError(null);
    try {
      const outcome = await identify(values.token.trim(), values.merchantId);
      if (outcome === 'needs-id') setNeedsId(true);
      else onSignIn(outcome);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in" id="main">
      <div className="sign-in-lang">
        <LanguageSwitch />
      </div>
      <Card className="sign-in-card">
        <Typography.Title level={1} className="sign-in-title">
          <span className="brand-mark" aria-hidden="true">
            3+N
          </span>{' '}
          {t('signIn.title')}
        </Typography.Title>
        <Typography.Paragraph type="secondary">{t('signIn.intro')}</Typography.Paragraph>
        {expired && (
          <Alert type="warning" showIcon title={t('signIn.expired')} className="gap-below" />
        )}
        <Form<Values> layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item
            name="token"
            label={t('signIn.token')}
            extra={t('signIn.tokenHelp')}
            rules={[{ required: true, whitespace: true, message: t('signIn.tokenRequired') }]}
          >
            <Input.Password
              prefix={<KeyOutlined />}
              autoComplete="off"
              autoFocus
              spellCheck={false}
            />
          </Form.Item>
          {needsId && (
            <Form.Item
              name="merchantId"
              label={t('signIn.merchantId')}
              extra={t('signIn.merchantIdHelp')}
              rules={[
                { required: true, whitespace: true, message: t('signIn.merchantIdRequired') },
              ]}
            >
              <Input autoComplete="off" placeholder="M-00001" />
            </Form.Item>
          )}
          {error !== null && (
            <div className="gap-below">
              <ErrorNotice error={error} />
            </div>
          )}
          <Button type="primary" htmlType="submit" loading={busy} block size="large">
            {t('signIn.submit')}
          </Button>
        </Form>
        <Typography.Paragraph type="secondary" className="sign-in-note">
          {t('signIn.storage')}
        </Typography.Paragraph>
      </Card>
    </main>
  );
}
