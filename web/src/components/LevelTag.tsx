import { Tag } from 'antd';

const COLORS: Record<string, string> = {
  LV1: 'default',
  LV2: 'blue',
  LV3: 'cyan',
  LV4: 'purple',
  LV5: 'gold',
};

export function LevelTag({ level }: { readonly level: string | null }) {
  if (level === null) return <span>—</span>;
  return (
    <Tag color={COLORS[level] ?? 'default'} className="level-tag">
      {level}
    </Tag>
  );
}
