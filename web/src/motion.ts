/** Charts animate only for people who have not asked their system for less motion. */
export const animateCharts = !window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
