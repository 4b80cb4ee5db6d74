import { Empty, Skeleton } from 'antd';
import { useI18n } from '../i18n/i18n';

/** A placeholder while a section loads; announced to screen readers. */
export function Loading({ rows = 3 }: { readonly rows?: number }) {
  const { t } = useI18n();
  return (
    <div role="status" aria-live="polite" aria-busy="true">
      <span className="sr-only">{t('state.loading')}</span>
      <Skeleton active paragraph={{ rows }} />
    </div>
  );
}

export function Nothing({ text }: { readonly text: string }) {
  return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={text} />;
}
