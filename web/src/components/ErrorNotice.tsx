import { Alert, Button } from 'antd';
import { ApiError } from '../api/client';
import { isMessageKey, useI18n } from '../i18n/i18n';

/**
 * An error in the user's language, with what to do next. The server's own
 * detail (in English) is kept below it for support, with the request id.
 */
export function ErrorNotice({
  error,
  onRetry,
}: {
  readonly error: unknown;
  readonly onRetry?: () => void;
}) {
  const { t, tr } = useI18n();
  const problem = error instanceof ApiError ? error : new ApiError(0, 'NETWORK', String(error));
  const known = isMessageKey(`error.${problem.code}.title`);
  const title = known
    ? tr(`error.${problem.code}.title`, '')
    : t('error.unknown.title', { code: problem.code });
  const next = tr(`error.${problem.code}.next`, t('error.unknown.next'));

  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      title={title}
      description={
        <div>
          <p>{next}</p>
          {problem.fieldErrors.length > 0 && (
            <ul className="field-errors">
              {problem.fieldErrors.map((field) => (
                <li key={`${field.path}:${field.message}`}>
                  <code>{field.path}</code> {field.message}
                </li>
              ))}
            </ul>
          )}
          <p className="problem-detail">
            {problem.detail}
            {problem.requestId !== null && ` · ${t('error.requestId', { id: problem.requestId })}`}
          </p>
        </div>
      }
      action={
        onRetry && (
          <Button size="small" onClick={onRetry}>
            {t('action.retry')}
          </Button>
        )
      }
    />
  );
}
