import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import en from './en.json';
import zhCN from './zh-CN.json';

/**
 * Every string the app shows comes from the message files of this folder.
 * zh-CN is the default and the reference: the English file must have the
 * same keys, which the type of `MESSAGES` checks at compile time.
 */

export type Lang = 'zh-CN' | 'en';
export type MessageKey = keyof typeof zhCN;
type Messages = Record<MessageKey, string>;

const MESSAGES: Record<Lang, Messages> = { 'zh-CN': zhCN, en };
const LANG_KEY = 'ladder.lang';

export function isMessageKey(key: string): key is MessageKey {
  return key in zhCN;
}

/** `{name}` placeholders are replaced by the values given; a missing one stays visible. */
export function fill(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

export interface I18n {
  readonly lang: Lang;
  readonly setLang: (lang: Lang) => void;
  readonly t: (key: MessageKey, values?: Record<string, string | number>) => string;
  /** A message named at run time (`reason.${code}`), else the fallback. */
  readonly tr: (key: string, fallback: string) => string;
}

const I18nContext = createContext<I18n | null>(null);

function initialLang(): Lang {
  const stored = localStorage.getItem(LANG_KEY);
  return stored === 'en' || stored === 'zh-CN' ? stored : 'zh-CN';
}

export function I18nProvider({ children }: { readonly children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);

  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(LANG_KEY, next);
    document.documentElement.lang = next;
    setLangState(next);
  }, []);

  const value = useMemo<I18n>(() => {
    document.documentElement.lang = lang;
    const messages = MESSAGES[lang];
    return {
      lang,
      setLang,
      t: (key, values) => fill(messages[key], values),
      tr: (key, fallback) => (isMessageKey(key) ? messages[key] : fallback),
    };
  }, [lang, setLang]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (value === null) throw new Error('useI18n outside I18nProvider');
  return value;
}
