import { Segmented } from 'antd';
import { type Lang, useI18n } from '../i18n/i18n';

/** Chinese by default; English one click away. Each option is named in its own language. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <Segmented<Lang>
      aria-label={t('lang.switch')}
      value={lang}
      onChange={setLang}
      options={[
        { label: <span lang="zh-CN">中文</span>, value: 'zh-CN' },
        { label: <span lang="en">English</span>, value: 'en' },
      ]}
    />
  );
}
