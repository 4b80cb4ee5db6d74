import {
  AuditOutlined,
  BarChartOutlined,
  CalculatorOutlined,
  CloudUploadOutlined,
  DashboardOutlined,
  ExperimentOutlined,
  FileTextOutlined,
  TeamOutlined,
} from '@ant-design/icons';
import { Button, Layout, Menu, Space, Tag } from 'antd';
import { lazy, type ReactNode, Suspense } from 'react';
import type { Session } from './api/client';
import { LanguageSwitch } from './components/LanguageSwitch';
import { Loading } from './components/Loading';
import { SignOutIcon } from './components/SignOutIcon';
import { type MessageKey, useI18n } from './i18n/i18n';
import { MerchantPage } from './pages/MerchantPage';
import { NotFound, OperatorOnly } from './pages/NotFound';
import { match, navigate, Redirect, useLocation } from './router';

// The console's pages (and their chart library) load only when an operator opens them.
const AssessmentsPage = lazy(() =>
  import('./pages/AssessmentsPage').then((m) => ({ default: m.AssessmentsPage })),
);
const CostPage = lazy(() => import('./pages/CostPage').then((m) => ({ default: m.CostPage })));
const ExplainPage = lazy(() =>
  import('./pages/ExplainPage').then((m) => ({ default: m.ExplainPage })),
);
const ImportPage = lazy(() =>
  import('./pages/ImportPage').then((m) => ({ default: m.ImportPage })),
);
const MerchantsPage = lazy(() =>
  import('./pages/MerchantsPage').then((m) => ({ default: m.MerchantsPage })),
);
const RulebooksPage = lazy(() =>
  import('./pages/RulebooksPage').then((m) => ({ default: m.RulebooksPage })),
);
const SimulationPage = lazy(() =>
  import('./pages/simulation/SimulationPage').then((m) => ({ default: m.SimulationPage })),
);

interface NavItem {
  readonly path: string;
  readonly label: MessageKey;
  readonly icon: ReactNode;
}

const CONSOLE: readonly NavItem[] = [
  { path: '/console/assessments', label: 'nav.assessments', icon: <AuditOutlined /> },
  { path: '/console/cost', label: 'nav.cost', icon: <BarChartOutlined /> },
  { path: '/console/merchants', label: 'nav.merchants', icon: <TeamOutlined /> },
  { path: '/console/import', label: 'nav.import', icon: <CloudUploadOutlined /> },
  { path: '/console/rulebooks', label: 'nav.rulebooks', icon: <FileTextOutlined /> },
  { path: '/console/simulations', label: 'nav.simulations', icon: <ExperimentOutlined /> },
  { path: '/console/explain', label: 'nav.explain', icon: <CalculatorOutlined /> },
];

const MERCHANT: readonly NavItem[] = [
  { path: '/workbench', label: 'nav.workbench', icon: <DashboardOutlined /> },
];

function Page({ session }: { readonly session: Session }) {
  const { pathname } = useLocation();
  const operator = session.role === 'operator';
  const merchantPage = match('/merchants/:id', pathname);

  if (pathname === '/' || pathname === '/sign-in') {
    return <Redirect to={operator ? '/console/assessments' : '/workbench'} />;
  }
  if (pathname === '/workbench') {
    if (operator) return <Redirect to="/console/merchants" />;
    return <MerchantPage merchantId={session.merchantId ?? ''} operator={false} />;
  }
  if (merchantPage !== null) {
    return (
      <MerchantPage merchantId={merchantPage.id ?? ''} operator={operator} key={merchantPage.id} />
    );
  }
  if (pathname.startsWith('/console/') && !operator) return <OperatorOnly />;
  switch (pathname) {
    case '/console/import':
      return <ImportPage />;
    case '/console/assessments':
      return <AssessmentsPage />;
    case '/console/cost':
      return <CostPage />;
    case '/console/merchants':
      return <MerchantsPage />;
    case '/console/rulebooks':
      return <RulebooksPage />;
    case '/console/simulations':
      return <SimulationPage />;
    case '/console/explain':
      return <ExplainPage />;
    default:
      return <NotFound />;
  }
}

export function Shell({
  session,
  onSignOut,
}: {
  readonly session: Session;
  readonly onSignOut: () => void;
}) {
  const { t } = useI18n();
  const { pathname } = useLocation();
  const items = session.role === 'operator' ? CONSOLE : MERCHANT;
  const selected =
    items.find((item) => pathname.startsWith(item.path))?.path ??
    (pathname.startsWith('/merchants/') ? '/console/merchants' : '');

  return (
    <Layout className="shell">
      <a className="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <Layout.Header className="shell-header">
        <a
          className="brand"
          href="/"
          onClick={(event) => {
            event.preventDefault();
            navigate('/');
          }}
        >
          <span className="brand-mark" aria-hidden="true">
            3+N
          </span>
          <span className="brand-name">{t('app.name')}</span>
        </a>
        <Space className="shell-tools" wrap size="small">
          <Tag color={session.role === 'operator' ? 'geekblue' : 'green'} data-testid="whoami">
            {session.role === 'operator'
              ? t('role.operator')
              : t('role.merchant', { id: session.merchantId ?? '' })}
          </Tag>
          <LanguageSwitch />
          {/* Named in words at every width: an icon alone was taken for "refresh". */}
          <Button icon={<SignOutIcon />} onClick={onSignOut}>
            {t('action.signOut')}
          </Button>
        </Space>
      </Layout.Header>
      <nav aria-label={t('nav.label')} className="shell-nav">
        <Menu
          mode="horizontal"
          selectedKeys={[selected]}
          onClick={({ key }) => navigate(key)}
          items={items.map((item) => ({ key: item.path, icon: item.icon, label: t(item.label) }))}
        />
      </nav>
      <Layout.Content id="main" className="shell-main" tabIndex={-1}>
        <Suspense fallback={<Loading rows={6} />}>
          <Page session={session} />
        </Suspense>
      </Layout.Content>
      <Layout.Footer className="shell-footer">{t('app.footer')}</Layout.Footer>
    </Layout>
  );
}
