import { Button, Result } from 'antd';
import { useI18n } from '../i18n/i18n';
import { navigate } from '../router';

export function NotFound() {
  const { t } = useI18n();
  return (
    <Result
      status="404"
      title={t('notFound.title')}
      subTitle={t('notFound.text')}
      extra={<Button onClick={() => navigate('/')}>{t('action.home')}</Button>}
    />
  );
}

export function OperatorOnly() {
  const { t } = useI18n();
  return (
    <Result
      status="403"
      title={t('forbidden.title')}
      subTitle={t('forbidden.text')}
      extra={<Button onClick={() => navigate('/')}>{t('action.home')}</Button>}
    />
  );
}
