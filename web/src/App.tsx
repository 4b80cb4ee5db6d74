import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { useCallback, useEffect, useState } from 'react';
import { loadSession, onUnauthenticated, type Session, saveSession } from './api/client';
import { useI18n } from './i18n/i18n';
import { SignIn } from './pages/SignIn';
import { navigate, useLocation } from './router';
import { Shell } from './Shell';

const THEME = {
  token: {
    colorPrimary: '#1d5bd8',
    borderRadius: 8,
    fontFamily:
      "-apple-system, BlinkMacSystemFont, 'Segoe UI', 'PingFang SC', 'Hiragino Sans GB', " +
      "'Microsoft YaHei', 'Noto Sans CJK SC', 'Helvetica Neue', Arial, sans-serif",
  },
};

export function App() {
  const { lang } = useI18n();
  const [session, setSession] = useState<Session | null>(loadSession);
  const [expired, setExpired] = useState(false);
  const { pathname } = useLocation();

  const signOut = useCallback((reason: 'user' | 'expired') => {
    saveSession(null);
    setSession(null);
    setExpired(reason === 'expired');
    navigate('/sign-in', { replace: true });
  }, []);

  useEffect(() => {
    onUnauthenticated(() => signOut('expired'));
    return () => onUnauthenticated(null);
  }, [signOut]);

  const signIn = (next: Session) => {
    saveSession(next);
    setSession(next);
    setExpired(false);
    const from = new URLSearchParams(location.search).get('from');
    navigate(from?.startsWith('/') && !from.startsWith('//') ? from : '/', {
      replace: true,
    });
  };

  useEffect(() => {
    if (session === null && pathname !== '/sign-in') {
      const from =
        pathname === '/' ? '' : `?from=${encodeURIComponent(pathname + location.search)}`;
      navigate(`/sign-in${from}`, { replace: true });
    }
  }, [session, pathname]);

  return (
    <ConfigProvider locale={lang === 'en' ? enUS : zhCN} theme={THEME}>
      <AntApp>
        {session === null ? (
          <SignIn onSignIn={signIn} expired={expired} />
        ) : (
          <Shell session={session} onSignOut={() => signOut('user')} />
        )}
      </AntApp>
    </ConfigProvider>
  );
}
