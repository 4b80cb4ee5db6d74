import { InboxOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Progress, Space, Table, Tag, Typography, Upload } from 'antd';
import { useState } from 'react';
import type { FieldError } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Nothing } from '../components/Loading';
import { parseCsv } from '../csv';
import { useI18n } from '../i18n/i18n';
import {
  FILE_KINDS,
  type FileOutcome,
  inLoadOrder,
  kindOf,
  type RejectedRow,
  uploadFile,
} from '../upload';

type Kind = (typeof FILE_KINDS)[number];

interface Chosen {
  readonly uid: string;
  readonly file: File;
  readonly kind: Kind | null;
}

async function classify(file: File): Promise<Kind | null> {
  const head = await file.slice(0, 4096).text();
  const header = parseCsv(head.split(/\r?\n/)[0] ?? '')[0]?.cells ?? [];
  return kindOf(file.name, header);
}

interface RejectionLine {
  readonly key: string;
  readonly file: string;
  readonly line: number;
  readonly field: FieldError;
}

function flatten(rejected: readonly RejectedRow[]): RejectionLine[] {
  return rejected.flatMap((row) =>
    row.errors.map((field, i) => ({
      key: `${row.file}:${row.line}:${i}`,
      file: row.file,
      line: row.line,
      field,
    })),
  );
}

export function ImportPage() {
  const { t } = useI18n();
  const [chosen, setChosen] = useState<Chosen[]>([]);
  const [running, setRunning] = useState(false);
  const [done, setDone] = useState<Record<string, { done: number; total: number }>>({});
  const [outcomes, setOutcomes] = useState<FileOutcome[]>([]);
  const [error, setError] = useState<unknown>(null);

  const known = chosen.filter((c): c is Chosen & { kind: Kind } => c.kind !== null);
  const totals = Object.values(done).reduce(
    (sum, p) => ({ done: sum.done + p.done, total: sum.total + p.total }),
    { done: 0, total: 0 },
  );
  const percent = totals.total === 0 ? 0 : Math.floor((totals.done / totals.total) * 100);
  const rejected = outcomes.flatMap((o) => o.rejected);

  const start = async () => {
    setRunning(true);
    setError(null);
    setOutcomes([]);
    setDone({});
    const results: FileOutcome[] = [];
    try {
      for (const item of inLoadOrder(known)) {
        const outcome = await uploadFile(item.file, item.kind, (p) =>
          setDone((d) => ({ ...d, [p.file]: { done: p.done, total: p.total } })),
        );
        results.push(outcome);
        setOutcomes([...results]);
      }
    } catch (err) {
      setError(err);
    } finally {
      setRunning(false);
    }
  };

  return (
    <div className="stack">
      <div className="page-header">
        <Typography.Title level={1} className="page-title">
          {t('import.title')}
        </Typography.Title>
      </div>
      <Card>
        <Typography.Paragraph>{t('import.intro')}</Typography.Paragraph>
        <Upload.Dragger
          multiple
          accept=".csv,text/csv"
          showUploadList={false}
          disabled={running}
          beforeUpload={(file) => {
            void classify(file).then((kind) =>
              setChosen((list) => [
                ...list.filter((c) => c.file.name !== file.name),
                { uid: file.uid, file, kind },
              ]),
            );
            return false;
          }}
          aria-label={t('import.drop')}
        >
          <p className="ant-upload-drag-icon">
            <InboxOutlined />
          </p>
          <p className="ant-upload-text">{t('import.drop')}</p>
          <p className="ant-upload-hint">
            {t('import.hint', { files: FILE_KINDS.map((k) => k.file).join(', ') })}
          </p>
        </Upload.Dragger>
        {chosen.length > 0 && (
          <Table<Chosen>
            className="gap-above"
            size="small"
            rowKey="uid"
            pagination={false}
            dataSource={chosen}
            columns={[
              { title: t('import.file'), key: 'name', render: (_, c) => c.file.name },
              {
                title: t('import.kind'),
                key: 'kind',
                render: (_, c) =>
                  c.kind === null ? (
                    <Tag color="red">{t('import.unknownKind')}</Tag>
                  ) : (
                    <Tag>{c.kind.file}</Tag>
                  ),
              },
              {
                title: t('import.progress'),
                key: 'progress',
                render: (_, c) => {
                  const p = done[c.file.name];
                  return p === undefined ? '—' : `${p.done} / ${p.total}`;
                },
              },
              {
                title: '',
                key: 'remove',
                render: (_, c) => (
                  <Button
                    type="link"
                    disabled={running}
                    onClick={() => setChosen((list) => list.filter((x) => x.uid !== c.uid))}
                    aria-label={t('import.remove', { file: c.file.name })}
                  >
                    {t('action.remove')}
                  </Button>
                ),
              },
            ]}
          />
        )}
        <Space className="gap-above" wrap>
          <Button type="primary" onClick={start} loading={running} disabled={known.length === 0}>
            {t('import.start', { count: known.length })}
          </Button>
          <Button
            onClick={() => {
              setChosen([]);
              setOutcomes([]);
              setDone({});
            }}
            disabled={running}
          >
            {t('action.clear')}
          </Button>
        </Space>
        {(running || totals.total > 0) && (
          <div
            className="gap-above"
            role="progressbar"
            aria-label={t('import.progress')}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
          >
            <Progress
              percent={percent}
              status={running ? 'active' : rejected.length > 0 ? 'normal' : 'success'}
              aria-hidden="true"
            />
            <Typography.Text type="secondary" aria-live="polite" data-testid="import-status">
              {t('import.rowsDone', { done: totals.done, total: totals.total })}
            </Typography.Text>
          </div>
        )}
      </Card>
      {error !== null && <ErrorNotice error={error} />}
      {outcomes.length > 0 && (
        <Card title={<h2 className="card-title">{t('import.results')}</h2>}>
          <Table<FileOutcome>
            size="small"
            rowKey="file"
            pagination={false}
            dataSource={outcomes}
            scroll={{ x: 'max-content' }}
            columns={[
              { title: t('import.file'), dataIndex: 'file' },
              { title: t('import.rows'), dataIndex: 'rows', align: 'right' },
              { title: t('import.inserted'), dataIndex: 'inserted', align: 'right' },
              { title: t('import.unchanged'), dataIndex: 'unchanged', align: 'right' },
              {
                title: t('import.rejected'),
                key: 'rejected',
                align: 'right',
                render: (_, o) =>
                  o.rejected.length > 0 ? <Tag color="red">{o.rejected.length}</Tag> : '0',
              },
            ]}
          />
          {rejected.length > 0 ? (
            <>
              <Alert
                type="warning"
                showIcon
                className="gap-above"
                title={t('import.rejectedTitle', { count: rejected.length })}
                description={t('import.rejectedNext')}
              />
              <Table<RejectionLine>
                className="gap-above"
                size="small"
                rowKey="key"
                data-testid="rejected-rows"
                dataSource={flatten(rejected).sort(
                  (a, b) => a.file.localeCompare(b.file) || a.line - b.line,
                )}
                pagination={{ pageSize: 20, hideOnSinglePage: true }}
                scroll={{ x: 'max-content' }}
                columns={[
                  { title: t('import.file'), dataIndex: 'file' },
                  { title: t('import.line'), dataIndex: 'line', align: 'right' },
                  {
                    title: t('import.field'),
                    key: 'path',
                    render: (_, r) => <code>{r.field.path}</code>,
                  },
                  { title: t('import.reason'), key: 'message', render: (_, r) => r.field.message },
                  {
                    title: t('import.value'),
                    key: 'value',
                    render: (_, r) =>
                      r.field.value === undefined ? (
                        '—'
                      ) : (
                        <code>{JSON.stringify(r.field.value)}</code>
                      ),
                  },
                ]}
              />
            </>
          ) : (
            <Nothing text={t('import.noneRejected')} />
          )}
        </Card>
      )}
    </div>
  );
}
