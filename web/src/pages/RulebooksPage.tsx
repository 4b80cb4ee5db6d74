import { CheckCircleOutlined, CloudUploadOutlined, EyeOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  DatePicker,
  Drawer,
  Form,
  Input,
  Popconfirm,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { ApiError, api, path, withQuery } from '../api/client';
import type { RulebookDiff, RulebookDocument, RulebookVersion, Validation } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Loading, Nothing } from '../components/Loading';
import { dateTime, shanghaiInstant } from '../format';
import { useI18n } from '../i18n/i18n';
import { useApi } from '../use-api';

const json = (value: unknown) => (value === undefined ? '—' : JSON.stringify(value));

function VersionDrawer({
  version,
  onClose,
}: {
  readonly version: RulebookVersion | null;
  readonly onClose: () => void;
}) {
  const { t } = useI18n();
  const doc = useApi<RulebookDocument>(
    version === null
      ? null
      : path('/v1/rulebooks', version.id, 'versions', String(version.version)),
  );
  return (
    <Drawer
      open={version !== null}
      onClose={onClose}
      size="large"
      title={version === null ? '' : t('rules.viewTitle', { key: version.key })}
    >
      {doc.loading && <Loading rows={10} />}
      {doc.error !== null && <ErrorNotice error={doc.error} onRetry={doc.reload} />}
      {doc.data !== null && (
        <section aria-label={t('rules.document')}>
          <pre className="json-view">{JSON.stringify(doc.data.document, null, 2)}</pre>
        </section>
      )}
    </Drawer>
  );
}

function Diff({ versions }: { readonly versions: readonly RulebookVersion[] }) {
  const { t } = useI18n();
  const ids = [...new Set(versions.map((v) => v.id))];
  const [id, setId] = useState(ids[0] ?? '');
  const numbers = versions.filter((v) => v.id === id).map((v) => v.version);
  const [from, setFrom] = useState<number | null>(
    numbers.length > 1 ? (numbers[numbers.length - 2] ?? null) : null,
  );
  const [to, setTo] = useState<number | null>(numbers[numbers.length - 1] ?? null);
  const diff = useApi<RulebookDiff>(
    from !== null && to !== null
      ? withQuery(path('/v1/rulebooks', id, 'diff'), { from, to })
      : null,
  );
  const options = numbers.map((n) => ({ value: n, label: `${id}@${n}` }));
  const opColor = { changed: 'blue', added: 'green', removed: 'red' } as const;

  return (
    <Card title={<h2 className="card-title">{t('rules.diffTitle')}</h2>}>
      <Space wrap className="gap-below">
        {ids.length > 1 && (
          <Select
            aria-label={t('rules.rulebook')}
            value={id}
            onChange={setId}
            options={ids.map((i) => ({ value: i, label: i }))}
          />
        )}
        <label className="inline-label" htmlFor="diff-from">
          {t('rules.from')}
        </label>
        <Select
          id="diff-from"
          className="version-select"
          value={from}
          onChange={setFrom}
          options={options}
        />
        <label className="inline-label" htmlFor="diff-to">
          {t('rules.to')}
        </label>
        <Select
          id="diff-to"
          className="version-select"
          value={to}
          onChange={setTo}
          options={options}
        />
      </Space>
      {numbers.length < 2 && <Nothing text={t('rules.diffNeedsTwo')} />}
      {diff.error !== null && <ErrorNotice error={diff.error} onRetry={diff.reload} />}
      {diff.data !== null && (
        <Table
          size="small"
          rowKey={(c) => `${c.op}:${c.path}`}
          loading={diff.loading}
          dataSource={diff.data.changes}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: <Nothing text={t('rules.noChanges')} /> }}
          columns={[
            { title: t('rules.path'), dataIndex: 'path', render: (p: string) => <code>{p}</code> },
            {
              title: t('rules.op'),
              dataIndex: 'op',
              render: (op: keyof typeof opColor) => (
                <Tag color={opColor[op]}>{t(`rules.op.${op}`)}</Tag>
              ),
            },
            {
              title: t('rules.before'),
              dataIndex: 'before',
              render: (v: unknown) => <code>{json(v)}</code>,
            },
            {
              title: t('rules.after'),
              dataIndex: 'after',
              render: (v: unknown) => <code>{json(v)}</code>,
            },
          ]}
        />
      )}
    </Card>
  );
}

/** A draft starts as a copy of a published version with the next version number. */
function draftFrom(document: Record<string, unknown>, nextVersion: number): string {
  return JSON.stringify({ ...document, version: nextVersion }, null, 2);
}

function Draft({
  versions,
  onPublished,
}: {
  readonly versions: readonly RulebookVersion[];
  readonly onPublished: () => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const latest = versions[versions.length - 1] ?? null;
  const [text, setText] = useState('');
  const [effective, setEffective] = useState<Dayjs | null>(null);
  const [validation, setValidation] = useState<Validation | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'load' | 'validate' | 'publish' | null>(null);
  const [published, setPublished] = useState<string | null>(null);

  const effectiveFrom =
    effective === null ? null : shanghaiInstant(effective.format('YYYY-MM-DDTHH:mm:ss'));

  /** The editor's JSON with the chosen effective instant; a parse error is shown like a server's. */
  const documentOf = (): Record<string, unknown> | null => {
    try {
      const value = JSON.parse(text) as Record<string, unknown>;
      return effectiveFrom === null ? value : { ...value, effectiveFrom };
    } catch (err) {
      setError(new ApiError(400, 'INVALID_JSON', (err as Error).message));
      return null;
    }
  };

  const startDraft = async () => {
    if (latest === null) return;
    setBusy('load');
    setError(null);
    try {
      const doc = await api<RulebookDocument>(
        path('/v1/rulebooks', latest.id, 'versions', String(latest.version)),
      );
      const highest = Math.max(...versions.filter((v) => v.id === latest.id).map((v) => v.version));
      setText(draftFrom(doc.document, highest + 1));
      setValidation(null);
      setPublished(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const validate = async () => {
    setError(null);
    const document = documentOf();
    if (document === null) return;
    setBusy('validate');
    try {
      setValidation(
        await api<Validation>('/v1/rulebooks/validate', { method: 'POST', body: document }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const publish = async () => {
    setError(null);
    const document = documentOf();
    if (document === null) return;
    setBusy('publish');
    try {
      const result = await api<{ key: string }>('/v1/rulebooks', {
        method: 'POST',
        body: document,
      });
      setPublished(result.key);
      setValidation(null);
      void message.success(t('rules.publishedToast', { key: result.key }));
      onPublished();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Card title={<h2 className="card-title">{t('rules.draftTitle')}</h2>}>
      <Typography.Paragraph type="secondary">{t('rules.draftIntro')}</Typography.Paragraph>
      <Space wrap className="gap-below">
        <Button onClick={startDraft} loading={busy === 'load'} disabled={latest === null}>
          {latest === null ? t('rules.noBase') : t('rules.startDraft', { key: latest.key })}
        </Button>
      </Space>
      <Form layout="vertical">
        <Form.Item label={t('rules.editor')} htmlFor="draft-json" extra={t('rules.editorHelp')}>
          <Input.TextArea
            id="draft-json"
            className="json-editor"
            value={text}
            onChange={(event) => {
              setText(event.target.value);
              setValidation(null);
            }}
            autoSize={{ minRows: 8, maxRows: 24 }}
            spellCheck={false}
          />
        </Form.Item>
        <Form.Item
          label={t('rules.effective')}
          htmlFor="draft-effective"
          extra={t('rules.effectiveHelp')}
        >
          <DatePicker
            id="draft-effective"
            showTime={{ format: 'HH:mm' }}
            format="YYYY-MM-DD HH:mm"
            value={effective}
            onChange={setEffective}
          />
        </Form.Item>
      </Form>
      <Space wrap>
        <Button
          icon={<CheckCircleOutlined />}
          onClick={validate}
          loading={busy === 'validate'}
          disabled={text.trim() === ''}
        >
          {t('rules.validate')}
        </Button>
        <Popconfirm
          title={t('rules.confirmTitle')}
          description={t('rules.confirmText', {
            at: effectiveFrom === null ? t('rules.asInDocument') : dateTime(effectiveFrom),
          })}
          okText={t('rules.publish')}
          cancelText={t('action.cancel')}
          onConfirm={publish}
        >
          <Button
            type="primary"
            icon={<CloudUploadOutlined />}
            loading={busy === 'publish'}
            disabled={text.trim() === ''}
          >
            {t('rules.publish')}
          </Button>
        </Popconfirm>
      </Space>
      <div className="gap-above" aria-live="polite">
        {error !== null && <ErrorNotice error={error} />}
        {validation?.valid === true && (
          <Alert type="success" showIcon title={t('rules.valid', { key: validation.key })} />
        )}
        {validation?.valid === false && (
          <Alert
            type="error"
            showIcon
            title={t('rules.invalid', { count: validation.errors.length })}
            description={
              <ul className="field-errors">
                {validation.errors.map((e) => (
                  <li key={`${e.path}:${e.message}`}>
                    <code>{e.path}</code> {e.message}
                  </li>
                ))}
              </ul>
            }
          />
        )}
        {published !== null && (
          <Alert
            type="success"
            showIcon
            title={t('rules.published', { key: published })}
            data-testid="published"
          />
        )}
      </div>
    </Card>
  );
}

export function RulebooksPage() {
  const { t } = useI18n();
  const list = useApi<{ items: RulebookVersion[] }>('/v1/rulebooks');
  const [viewing, setViewing] = useState<RulebookVersion | null>(null);
  const versions = useMemo(
    () =>
      [...(list.data?.items ?? [])].sort(
        (a, b) => a.id.localeCompare(b.id) || a.version - b.version,
      ),
    [list.data],
  );

  return (
    <div className="stack">
      <div className="page-header">
        <Typography.Title level={1} className="page-title">
          {t('rules.title')}
        </Typography.Title>
      </div>
      <Card title={<h2 className="card-title">{t('rules.versions')}</h2>}>
        {list.loading && <Loading />}
        {list.error !== null && <ErrorNotice error={list.error} onRetry={list.reload} />}
        {list.data !== null && (
          <Table<RulebookVersion>
            size="small"
            rowKey="key"
            dataSource={versions}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: <Nothing text={t('rules.empty')} /> }}
            columns={[
              { title: t('rules.key'), dataIndex: 'key', render: (k: string) => <code>{k}</code> },
              { title: t('rules.titleCol'), dataIndex: 'title' },
              {
                title: t('col.effectiveFrom'),
                dataIndex: 'effectiveFrom',
                render: (at: string) => dateTime(at),
              },
              {
                title: t('rules.publishedAt'),
                dataIndex: 'publishedAt',
                render: (at: string) => dateTime(at),
              },
              {
                title: '',
                key: 'view',
                render: (_, v) => (
                  <Button
                    icon={<EyeOutlined />}
                    size="small"
                    onClick={() => setViewing(v)}
                    aria-label={t('rules.view', { key: v.key })}
                  >
                    {t('rules.read')}
                  </Button>
                ),
              },
            ]}
          />
        )}
      </Card>
      {list.data !== null && versions.length > 0 && (
        <Diff key={versions.length} versions={versions} />
      )}
      {list.data !== null && <Draft versions={versions} onPublished={list.reload} />}
      <VersionDrawer version={viewing} onClose={() => setViewing(null)} />
    </div>
  );
}
