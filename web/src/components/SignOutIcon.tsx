import Icon from '@ant-design/icons';

/**
 * A door frame with an arrow leaving it. The icon set's own logout glyph, a
 * ring with an arrow, was read as "refresh" on phones, where the button
 * used to show the icon alone.
 */
function DoorWithArrow() {
  return (
    <svg
      viewBox="0 0 24 24"
      width="1em"
      height="1em"
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d="M10 4H5a1 1 0 0 0-1 1v14a1 1 0 0 0 1 1h5" />
      <path d="M9 12h11" />
      <path d="M16 8l4 4-4 4" />
    </svg>
  );
}

export function SignOutIcon() {
  return <Icon component={DoorWithArrow} aria-hidden="true" />;
}
